-- 0015: what a told result may carry besides its value: metadata (a JSON
-- object: backend, job id, calibration), metrics (a JSON object of named
-- numbers: variance, fidelity) and cost (shots, device seconds, money);
-- the op log keeps the cost (the engine stops on budget_cost, so replay
-- must see it) and the history the spend at each update.
ALTER TABLE samples ADD COLUMN metadata TEXT;
ALTER TABLE samples ADD COLUMN metrics TEXT;
ALTER TABLE samples ADD COLUMN cost REAL;
ALTER TABLE ops ADD COLUMN cost REAL;
ALTER TABLE steps ADD COLUMN cost REAL;
