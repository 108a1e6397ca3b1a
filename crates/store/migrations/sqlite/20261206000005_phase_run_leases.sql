-- SQLite twin of ../postgres/ (timestamps RFC 3339 TEXT).
-- A running phase run is held by one delivery under a lease: `holder` names
-- that delivery and `lease_until` says until when the claim stands unless it
-- is renewed (a heartbeat). A later delivery takes a run over only once its
-- lease has run out, in one conditional upsert, so two never hold it at once.
-- Rows from before leases have none: they count as expired.
ALTER TABLE phase_runs ADD COLUMN holder TEXT;
ALTER TABLE phase_runs ADD COLUMN lease_until TEXT;
