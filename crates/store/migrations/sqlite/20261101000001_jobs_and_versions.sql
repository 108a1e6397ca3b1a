-- SQLite twin of ../postgres/ (same names and constraints): UUIDs are 16-byte BLOBs,
-- timestamps RFC 3339 TEXT, JSON TEXT.
-- A job and its versions. `revision` is bumped by every write to a job row,
-- so an orchestrator can advance a job only from the revision it read
-- (compare-and-set): two instances never double-advance one job.
CREATE TABLE jobs (
    id              BLOB NOT NULL PRIMARY KEY,
    user_id         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'awaiting_review', 'succeeded', 'failed', 'cancelled')),
    current_phase   TEXT CHECK (current_phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    current_version INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    mode            TEXT NOT NULL CHECK (mode IN ('auto', 'review')),
    options         TEXT NOT NULL,
    title           TEXT,
    error           TEXT,
    machine         TEXT,
    revision        INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- "My jobs, newest first" is the API's list query.
CREATE INDEX jobs_by_user ON jobs (user_id, created_at DESC);

CREATE TABLE versions (
    job_id     BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL CHECK (number >= 1),
    parent     INTEGER,
    note       TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, number),
    -- A version branches from another version of the same job.
    FOREIGN KEY (job_id, parent) REFERENCES versions (job_id, number)
);
