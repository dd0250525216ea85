-- 0016: observations, values at x the daemon never handed out (yesterday's
-- scan, another optimizer's history): samples whose origin is 'observed',
-- and an op of kind 6 that replays them (its x is the sample row's).
ALTER TABLE samples ADD COLUMN origin TEXT NOT NULL DEFAULT 'asked'
    CHECK (origin = 'asked' OR origin = 'observed');

CREATE TABLE ops_new (
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 6),
               -- ask, tell, fail, step, lost, observe
    n          INTEGER NOT NULL DEFAULT 0,     -- ask: how many
    sample_id  INTEGER NOT NULL DEFAULT 0,     -- tell, fail, lost, observe
    value      REAL,                           -- tell, observe
    stderr     REAL,
    cost       REAL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO ops_new (run_id, seq, kind, n, sample_id, value, stderr, cost)
    SELECT run_id, seq, kind, n, sample_id, value, stderr, cost FROM ops;
DROP TABLE ops;
ALTER TABLE ops_new RENAME TO ops;
