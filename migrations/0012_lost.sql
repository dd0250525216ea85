-- 0012: a sample may be told lost (the instrument or the link failed, not
-- the point): status 'lost', and its point handed out again as a new
-- sample whose reissue_of names the lost one; the op log gains kind 5
-- (lost). Both CHECKs change, so both tables are rebuilt (as in 0005).
CREATE TABLE samples_new (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    x           BLOB NOT NULL,                 -- dim little-endian doubles
    log_prob    REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status = 'pending' OR status = 'told' OR status = 'failed'
                       OR status = 'expired' OR status = 'lost'),
    value       REAL,
    error       TEXT,
    asked_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    told_at     TEXT,
    stderr      REAL,
    shots       INTEGER,
    reissue_of  INTEGER,                       -- the lost sample this re-issues
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
INSERT INTO samples_new (run_id, id, generation, x, log_prob, status, value, error,
                         asked_at, told_at, stderr, shots)
    SELECT run_id, id, generation, x, log_prob, status, value, error, asked_at, told_at,
           stderr, shots
    FROM samples;
DROP TABLE samples;
ALTER TABLE samples_new RENAME TO samples;
CREATE INDEX samples_by_status ON samples (run_id, status, id);

CREATE TABLE ops_new (
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 5),  -- ask, tell, fail, step, lost
    n          INTEGER NOT NULL DEFAULT 0,     -- ask: how many
    sample_id  INTEGER NOT NULL DEFAULT 0,     -- tell, fail, lost
    value      REAL,                           -- tell
    stderr     REAL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO ops_new (run_id, seq, kind, n, sample_id, value, stderr)
    SELECT run_id, seq, kind, n, sample_id, value, stderr FROM ops;
DROP TABLE ops;
ALTER TABLE ops_new RENAME TO ops;
