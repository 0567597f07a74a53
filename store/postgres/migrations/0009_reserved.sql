-- Reserved for another branch's migration (this branch's is 0010): an empty
-- placeholder so the contiguous numbering holds; dropped when the branches merge.
SELECT 1;
