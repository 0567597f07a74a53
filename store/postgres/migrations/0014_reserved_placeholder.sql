-- PLACEHOLDER on branch convreply only: 0014 is reserved for another helper's
-- migration. Drop this file when merging (the real 0014 replaces it); it
-- only keeps the numbering contiguous so 0015 applies on this branch.
SELECT 1;
