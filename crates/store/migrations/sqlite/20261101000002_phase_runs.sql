-- SQLite twin of ../postgres/ (same names and constraints): UUIDs are 16-byte BLOBs,
-- timestamps RFC 3339 TEXT, JSON TEXT.
-- One row per run of a phase. Pub/Sub delivers at least once, so a run is
-- keyed by (job, version, phase, attempt) and a redelivery finds its row.
CREATE TABLE phase_runs (
    job_id      BLOB NOT NULL,
    version     INTEGER NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('concept', 'characters', 'plot', 'name', 'images', 'lettering', 'compose', 'publish')),
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'retrying')),
    quality     REAL CHECK (quality >= 0 AND quality <= 1),
    reasons     TEXT NOT NULL DEFAULT '[]',
    outputs     TEXT NOT NULL DEFAULT '[]',
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    error       TEXT,
    CONSTRAINT phase_runs_key UNIQUE (job_id, version, phase, attempt),
    FOREIGN KEY (job_id, version) REFERENCES versions (job_id, number) ON DELETE CASCADE
);
