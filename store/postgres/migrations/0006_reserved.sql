-- Placeholder: migration 6 is reserved for another branch (helpers number their
-- migrations from a shared plan); the lead replaces this file at merge.
SELECT 1;
