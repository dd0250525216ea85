-- 0002: runs and their durable history.
--
-- A run's state is its latest engine snapshot (opaque bytes from
-- fo_engine_save) plus the operations acknowledged since it, in order
-- (ops). Replaying the ops on the snapshot reproduces the run exactly,
-- because the engine is deterministic. samples and steps are the queryable
-- history; they are written in the same transactions as the ops.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'paused', 'finished')),
    dim           INTEGER NOT NULL CHECK (dim >= 1),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    snapshot      BLOB NOT NULL,
    snapshot_seq  INTEGER NOT NULL DEFAULT 0,  -- last op folded into snapshot
    next_seq      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE ops (
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       INTEGER NOT NULL CHECK (kind IN (1, 2, 3, 4)),  -- ask, tell, fail, step
    n          INTEGER NOT NULL DEFAULT 0,     -- ask: how many
    sample_id  INTEGER NOT NULL DEFAULT 0,     -- tell, fail
    value      REAL,                           -- tell
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE samples (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    x           BLOB NOT NULL,                 -- dim little-endian doubles
    log_prob    REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'told', 'failed', 'expired')),
    value       REAL,
    error       TEXT,
    asked_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    told_at     TEXT,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

CREATE INDEX samples_by_status ON samples (run_id, status, id);

CREATE TABLE steps (
    run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    generation   INTEGER NOT NULL,
    evaluations  INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    mean         REAL,
    median       REAL,
    best         REAL,
    best_ever    REAL,
    entropy      REAL,
    grad_norm    REAL,
    kl           REAL,
    lr           REAL,
    ess          REAL,
    events       INTEGER NOT NULL DEFAULT 0,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    snapshot    BLOB NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
