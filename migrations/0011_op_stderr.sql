-- 0011: a logged tell carries the value's standard error when the driver
-- gave one (the engine uses it: replay must see it too).
ALTER TABLE ops ADD COLUMN stderr REAL;
