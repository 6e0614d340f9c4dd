-- The change stream's outbox. Every write to events records the change it made here, in the
-- same transaction, through statement-level triggers: a change exists in the outbox exactly
-- when it exists in events, whatever code path wrote it. The publisher's relay sends these
-- rows to Kafka (pinned.event-changes.v1) in seq order and deletes them once the broker has
-- them; a crash in between sends them again, which consumers absorb by version.
CREATE TABLE event_changes (
    seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id           uuid NOT NULL,
    version            integer NOT NULL,
    change             text NOT NULL
        CHECK (change IN ('created', 'updated', 'status_changed', 'cancelled')),
    owner_account_id   bigint NOT NULL,
    channel_id         bigint NOT NULL,
    status             text NOT NULL,
    body               jsonb NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    previous_status    text,
    previous_start_at  timestamptz
);

CREATE FUNCTION record_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint;
BEGIN
    INSERT INTO event_changes (event_id, version, change, owner_account_id, channel_id, status,
        body, created_at, updated_at)
    SELECT id, version, 'created', owner_account_id, channel_id, status, body, created_at,
        updated_at
    FROM inserted_events;
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        PERFORM pg_notify('pinned_event_changes', '');  -- wakes the relay at commit
    END IF;
    RETURN NULL;
END
$$;

-- Only rows whose version moved are changes the publisher applied (it bumps the version of
-- every change); anything else rewriting a row is not announced.
CREATE FUNCTION record_events_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint;
BEGIN
    INSERT INTO event_changes (event_id, version, change, owner_account_id, channel_id, status,
        body, created_at, updated_at, previous_status, previous_start_at)
    SELECT n.id, n.version,
        CASE WHEN n.status = o.status THEN 'updated'
             WHEN n.status = 'cancelled' THEN 'cancelled'
             ELSE 'status_changed' END,
        n.owner_account_id, n.channel_id, n.status, n.body, n.created_at, n.updated_at,
        o.status, o.start_at
    FROM updated_events n JOIN replaced_events o ON o.id = n.id
    WHERE n.version <> o.version;
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        PERFORM pg_notify('pinned_event_changes', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_record_inserted
    AFTER INSERT ON events REFERENCING NEW TABLE AS inserted_events
    FOR EACH STATEMENT EXECUTE FUNCTION record_events_inserted();

CREATE TRIGGER events_record_updated
    AFTER UPDATE ON events REFERENCING OLD TABLE AS replaced_events NEW TABLE AS updated_events
    FOR EACH STATEMENT EXECUTE FUNCTION record_events_updated();
