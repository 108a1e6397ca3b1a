-- What each version produced (the bytes live in the blob store).
CREATE TABLE artifacts (
    job_id       UUID NOT NULL,
    version      BIGINT NOT NULL,
    key          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0),
    sha256       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, version, key),
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);

-- What the person said about a phase's result; the action's shape is the orchestrator's.
CREATE TABLE feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     UUID NOT NULL,
    version    BIGINT NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    action     JSONB NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);

CREATE INDEX feedback_by_job ON feedback (job_id, created_at);
