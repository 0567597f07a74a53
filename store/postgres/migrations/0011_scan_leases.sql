-- The workspace scan's leases and the approval of its redactions (package scan).
--
-- A lease names the one process that may run a kind of scan work ("scan" walks
-- the conversations, "redact" sends redactions): a second run is refused and
-- told who holds it; a holder that stops renewing loses it when expires_at
-- passes. Times are Unix microseconds, written by the holder's clock.
CREATE TABLE scan_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    acquired_at  BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

-- A redaction proposed for approval (the console's four-eyes rule for
-- erasures) is sent only once approved: approval is '' (none needed),
-- 'proposed', 'approved' or 'rejected'; decided_by is the actor (user:<id>),
-- never a name or an email.
ALTER TABLE scan_redactions ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_redactions ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_redactions ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_redactions ADD COLUMN decided_at BIGINT;
CREATE INDEX scan_redactions_approval ON scan_redactions (approval, queued_at);

-- The claim of one part's redaction by the process sending it (two `serve`
-- workers sweeping the same open redactions, or a sweep and a run): a claim
-- lapses at claim_until, so a dead process's parts are taken over.
ALTER TABLE scan_redactions ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_redactions ADD COLUMN claim_until BIGINT;
