-- People's inboxes and sessions are kept to a retention by deleting their old rows in batches
-- (shared/adapters/row_retention.py; docs/operations.md#retention), not by partition drop:
-- a notice's id is derived from what it is about, so a redelivered record is stored once,
-- which a time in the primary key would break; a session's end is not known when it is
-- written. Each owner finds the rows past the retention through these indexes.
CREATE INDEX notifications_created ON notifications (created_at);

-- A session ended when it expired or was revoked, whichever came first (LEAST ignores NULL).
CREATE INDEX person_sessions_ended ON person_sessions ((least(expires_at, revoked_at)));
CREATE INDEX portal_sessions_ended ON portal_sessions ((least(expires_at, revoked_at)));
