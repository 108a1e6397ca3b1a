-- SQLite twin of ../postgres/ (UUIDs 16-byte BLOBs, timestamps RFC 3339 TEXT).
-- A phase that spreads its work over many messages (phase 5: one per panel)
-- keeps one row per item of a run. An item is held by one delivery under a
-- lease, like a run; `done` is set once. `phase_runs.items_left` counts the
-- items not done, decremented in the same transaction that sets `done`, so
-- exactly one delivery sees it reach zero and completes the run.
ALTER TABLE phase_runs ADD COLUMN items_left INTEGER;
CREATE TABLE phase_items (
    job_id      BLOB NOT NULL,
    version     INTEGER NOT NULL,
    phase       TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    item        TEXT NOT NULL,
    done        BOOLEAN NOT NULL DEFAULT FALSE,
    holder      TEXT,
    lease_until TEXT,
    PRIMARY KEY (job_id, version, phase, attempt, item),
    FOREIGN KEY (job_id, version, phase, attempt)
        REFERENCES phase_runs (job_id, version, phase, attempt) ON DELETE CASCADE
);
