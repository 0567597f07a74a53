-- PLACEHOLDER on branch agents only: 0013 is reserved for another helper's
-- migration. Drop this file when merging (the real 0013 replaces it); it
-- only keeps the numbering contiguous so 0014 applies on this branch.
SELECT 1;
