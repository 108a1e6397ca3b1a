-- SQLite twin of ../postgres/ (same names and constraints): UUIDs are 16-byte BLOBs,
-- timestamps RFC 3339 TEXT, JSON TEXT.
-- What each version produced (the bytes live in the blob store).
CREATE TABLE artifacts (
    job_id       BLOB NOT NULL,
    version      INTEGER NOT NULL,
    key          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (job_id, version, key),
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);

-- What the person said about a phase's result; the action's shape is the orchestrator's.
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     BLOB NOT NULL,
    version    INTEGER NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    action     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);

CREATE INDEX feedback_by_job ON feedback (job_id, created_at);
