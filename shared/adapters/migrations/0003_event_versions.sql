-- version counts applied changes (a monotone sequence per event); source_updated_at is the
-- integrator's own modification time, so an older update arriving late never wins.
ALTER TABLE events
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN source_updated_at timestamptz;

CREATE INDEX events_owner_updated ON events (owner_account_id, updated_at);
CREATE INDEX events_channel_updated ON events (channel_id, updated_at);
