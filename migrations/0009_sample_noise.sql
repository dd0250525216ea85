-- 0009: a told value's error bar as the driver gave it: its standard error
-- and the shots it was estimated from (NULL when not given).
ALTER TABLE samples ADD COLUMN stderr REAL;
ALTER TABLE samples ADD COLUMN shots INTEGER;
