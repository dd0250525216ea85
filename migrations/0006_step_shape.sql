-- 0006: what the engine's Gaussian looked like after each update (its
-- spread and the condition of its covariance) and the restarts so far,
-- so a run's history shows CMA-ES's step size and shape learning.
ALTER TABLE steps ADD COLUMN step_size REAL;
ALTER TABLE steps ADD COLUMN condition REAL;
ALTER TABLE steps ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
