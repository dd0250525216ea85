-- 0003: asks retried with the same Idempotency-Key return the same samples.
CREATE TABLE ask_keys (
    run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    first_id  INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
