-- 0007: what the surrogate did in each update: Kendall's tau of its ranking
-- when it completed the generation, and how many candidates it valued in
-- place of an evaluation.
ALTER TABLE steps ADD COLUMN tau REAL;
ALTER TABLE steps ADD COLUMN modelled INTEGER NOT NULL DEFAULT 0;
