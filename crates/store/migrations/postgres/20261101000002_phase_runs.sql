-- One row per run of a phase. Pub/Sub delivers at least once, so a run is
-- keyed by (job, version, phase, attempt) and a redelivery finds its row.
CREATE TABLE phase_runs (
    job_id      UUID NOT NULL,
    version     BIGINT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    attempt     BIGINT NOT NULL CHECK (attempt >= 1),
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'retrying')),
    quality     DOUBLE PRECISION CHECK (quality >= 0 AND quality <= 1),
    reasons     JSONB NOT NULL DEFAULT '[]',
    outputs     JSONB NOT NULL DEFAULT '[]',
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    duration_ms BIGINT,
    error       TEXT,
    CONSTRAINT phase_runs_key UNIQUE (job_id, version, phase, attempt),
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);
