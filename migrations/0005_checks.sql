-- 0005: the CHECK constraints of samples and ops, without IN lists.
--
-- SQLite evaluates `col IN ('a', 'b', ...)` in a CHECK by building a
-- temporary b-tree of the list for every row written. samples and ops take
-- about a hundred rows per ask/tell round, so those temporary trees were a
-- visible share of the daemon's time. Same rules, written as comparisons.
-- A CHECK cannot be altered in place: each table is rebuilt and renamed.
CREATE TABLE samples_new (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    x           BLOB NOT NULL,                 -- dim little-endian doubles
    log_prob    REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status = 'pending' OR status = 'told' OR status = 'failed'
                       OR status = 'expired'),
    value       REAL,
    error       TEXT,
    asked_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    told_at     TEXT,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
INSERT INTO samples_new (run_id, id, generation, x, log_prob, status, value, error,
                         asked_at, told_at)
    SELECT run_id, id, generation, x, log_prob, status, value, error, asked_at, told_at
    FROM samples;
DROP TABLE samples;
ALTER TABLE samples_new RENAME TO samples;
CREATE INDEX samples_by_status ON samples (run_id, status, id);

CREATE TABLE ops_new (
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),  -- ask, tell, fail, step
    n          INTEGER NOT NULL DEFAULT 0,     -- ask: how many
    sample_id  INTEGER NOT NULL DEFAULT 0,     -- tell, fail
    value      REAL,                           -- tell
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO ops_new (run_id, seq, kind, n, sample_id, value)
    SELECT run_id, seq, kind, n, sample_id, value FROM ops;
DROP TABLE ops;
ALTER TABLE ops_new RENAME TO ops;
