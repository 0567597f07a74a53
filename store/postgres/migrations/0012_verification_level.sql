-- The degree of certainty a request's identity was verified to (CCPA Regs
-- §7062): 'low' (a reasonable degree: the e-mail link, the address matching
-- an Intercom contact) or 'high' (a reasonably high degree: two data points,
-- or an operator's check by hand); '' when never verified, or verified before
-- the level was recorded (handled as 'high', as those requests always were).
-- An access request at 'low' under a law that tiers verification gets the
-- categories-only answer (§7024).
ALTER TABLE requests ADD COLUMN verification_level TEXT NOT NULL DEFAULT '';
