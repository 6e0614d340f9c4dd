-- The outbox triggers no longer NOTIFY. A transaction that notifies takes one database-wide
-- lock at commit and holds it through its WAL flush (so that notifications queue in commit
-- order), so the publisher's commits, every one of which recorded changes, went one at a time,
-- 2 to 46 ms each in lock waits under `make bench` at 300 events/s. Only the publisher writes
-- `events`, and it now wakes its own process's relay after each commit
-- (services/publisher/relay.py); the relay still polls every PUBLISHER_RELAY_POLL_SECONDS.

CREATE OR REPLACE FUNCTION record_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_changes (event_id, version, change, owner_account_id, channel_id, status,
        body, occurrence_overrides, created_at, updated_at)
    SELECT id, version, 'created', owner_account_id, channel_id, status, body,
        occurrence_overrides, created_at, updated_at
    FROM inserted_events;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION record_events_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_changes (event_id, version, change, owner_account_id, channel_id, status,
        body, occurrence_overrides, created_at, updated_at, previous_status, previous_start_at)
    SELECT n.id, n.version,
        CASE WHEN n.status = o.status THEN 'updated'
             WHEN n.status = 'cancelled' THEN 'cancelled'
             ELSE 'status_changed' END,
        n.owner_account_id, n.channel_id, n.status, n.body, n.occurrence_overrides,
        n.created_at, n.updated_at, o.status, o.start_at
    FROM updated_events n JOIN replaced_events o ON o.id = n.id
    WHERE n.version <> o.version;
    RETURN NULL;
END
$$;
