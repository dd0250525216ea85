-- 0018: a run's push-mode evaluator (the daemon calls the instrument): its
-- JSON object as the API took it, NULL when the driver asks and tells.
ALTER TABLE runs ADD COLUMN evaluator TEXT;
