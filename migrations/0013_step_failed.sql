-- 0013: the failed evaluations of the generation an update completed (the
-- update ranked them by optimizer.failed_rank).
ALTER TABLE steps ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
