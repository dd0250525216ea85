-- 0017: the value measured at the run's reference point since the row
-- before (reference.x, every reference.every generations): the device's
-- drift over the run, shown, not corrected.
ALTER TABLE steps ADD COLUMN reference REAL;
