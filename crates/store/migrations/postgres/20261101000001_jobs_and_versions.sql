-- A job and its versions. `revision` is bumped by every write to a job row,
-- so an orchestrator can advance a job only from the revision it read
-- (compare-and-set): two instances never double-advance one job.
CREATE TABLE jobs (
    id              UUID NOT NULL PRIMARY KEY,
    user_id         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'awaiting_review', 'succeeded', 'failed', 'cancelled')),
    current_phase   TEXT CHECK (current_phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    current_version BIGINT NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    mode            TEXT NOT NULL CHECK (mode IN ('auto', 'review')),
    options         JSONB NOT NULL,
    title           TEXT,
    error           TEXT,
    machine         JSONB,
    revision        BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- "My jobs, newest first" is the API's list query.
CREATE INDEX jobs_by_user ON jobs (user_id, created_at DESC);

CREATE TABLE versions (
    job_id     UUID NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    number     BIGINT NOT NULL CHECK (number >= 1),
    parent     BIGINT,
    note       TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, number),
    -- A version branches from another version of the same job.
    FOREIGN KEY (job_id, parent) REFERENCES versions (job_id, number)
);
