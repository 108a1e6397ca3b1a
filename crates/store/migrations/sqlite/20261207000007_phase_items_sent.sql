-- SQLite twin of ../postgres/.
-- A run's items are planned (rows in phase_items) before their messages go
-- out, so a crash between the two leaves items nobody will draw. `items_sent`
-- is set once every item's message is out: until then another delivery of the
-- run sends the undone items itself rather than trusting a holder that may
-- have died mid-send.
ALTER TABLE phase_runs ADD COLUMN items_sent BOOLEAN NOT NULL DEFAULT FALSE;
