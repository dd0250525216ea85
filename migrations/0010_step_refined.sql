-- 0010: coordinate steps of the refiner's sweep (rows with the event
-- refine are sweeps of it, not flow updates).
ALTER TABLE steps ADD COLUMN refined INTEGER NOT NULL DEFAULT 0;
