-- 0004: a run's snapshot moves out of the runs row into its own table.
--
-- Every acknowledged op bumps runs.next_seq. With the snapshot (hundreds of
-- KB for a spline flow with its Adam moments) in the same record, SQLite
-- rewrote the whole record, overflow pages and all, on every op. The runs
-- row is now small; the snapshot is rewritten only when it changes.
CREATE TABLE run_snapshots (
    run_id  TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,   -- last op folded into the snapshot
    data    BLOB NOT NULL
);

INSERT INTO run_snapshots (run_id, seq, data)
    SELECT id, snapshot_seq, snapshot FROM runs;

ALTER TABLE runs DROP COLUMN snapshot;
ALTER TABLE runs DROP COLUMN snapshot_seq;
