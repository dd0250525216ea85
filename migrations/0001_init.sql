-- 0001: the database's identity. Run, sample, step and checkpoint tables
-- arrive with the migrations of the features that use them.
CREATE TABLE instance (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO instance (id) VALUES (1);
