-- SQLite twin of ../postgres/ (same names and constraints): UUIDs are 16-byte BLOBs,
-- timestamps RFC 3339 TEXT, JSON TEXT.
-- Pub/Sub idempotency: a handler claims a message's key before acting on it;
-- the primary key makes the second claim of a redelivery fail. Poison
-- messages (undecodable, unknown job) are kept here with their reason.
CREATE TABLE processed_messages (
    key          TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('claimed', 'poison')),
    reason       TEXT,
    processed_at TEXT NOT NULL
);
