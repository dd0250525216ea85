-- 0008: how many told samples of the previous generation importance mixing
-- kept in each update's generation.
ALTER TABLE steps ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;
