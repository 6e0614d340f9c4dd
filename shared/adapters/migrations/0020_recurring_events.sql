-- Recurring events (docs/recurring.md). An event may carry an RRULE and EXDATEs in its body;
-- what single occurrences changed on their own (moved, cancelled) is kept beside the body, so
-- a resend of the series by its source does not wipe it. The change stream carries it.
ALTER TABLE events ADD COLUMN occurrence_overrides jsonb NOT NULL DEFAULT '[]';
ALTER TABLE event_changes ADD COLUMN occurrence_overrides jsonb NOT NULL DEFAULT '[]';

CREATE OR REPLACE FUNCTION record_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint;
BEGIN
    INSERT INTO event_changes (event_id, version, change, owner_account_id, channel_id, status,
        body, occurrence_overrides, created_at, updated_at)
    SELECT id, version, 'created', owner_account_id, channel_id, status, body,
        occurrence_overrides, created_at, updated_at
    FROM inserted_events;
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        PERFORM pg_notify('pinned_event_changes', '');  -- wakes the relay at commit
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION record_events_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint;
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
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        PERFORM pg_notify('pinned_event_changes', '');
    END IF;
    RETURN NULL;
END
$$;

-- The read model lists occurrences: one discovery_events row per occurrence (a single event
-- is a series of one). event_id is the row's key: the event's id for a single event, the
-- occurrence key (uuid5 of the occurrence id) for an occurrence, which is what planning
-- stores plans under; series_id is the event's id either way; recurrence_id the
-- occurrence's original start (RFC 5545's RECURRENCE-ID), NULL for a single event.
ALTER TABLE discovery_events ADD COLUMN series_id uuid;
ALTER TABLE discovery_events ADD COLUMN recurrence_id timestamptz;
UPDATE discovery_events SET series_id = event_id;
ALTER TABLE discovery_events ALTER COLUMN series_id SET NOT NULL;
CREATE INDEX discovery_events_series ON discovery_events (series_id, start_at);

-- One row per event the projector has seen: the version it holds (the projector replaces an
-- event's rows only for a newer one, so a late or repeated record changes nothing) and, for
-- a recurring event, the whole event (rule, EXDATEs, overrides) that iCalendar feeds write
-- as one VEVENT with RRULE and EXDATE plus a RECURRENCE-ID VEVENT per override.
CREATE TABLE discovery_series (
    event_id    uuid PRIMARY KEY,
    version     integer NOT NULL,
    event       jsonb,
    changed_at  timestamptz NOT NULL
);
INSERT INTO discovery_series (event_id, version, changed_at)
SELECT event_id, version, changed_at FROM discovery_events;

-- Planning attaches to occurrences: a plan_events row of an occurrence is keyed by its
-- occurrence key and knows its series and original start, so the notifier can apply a change
-- of the series to every planned occurrence.
ALTER TABLE plan_events ADD COLUMN series_id uuid;
ALTER TABLE plan_events ADD COLUMN recurrence_id timestamptz;
CREATE INDEX plan_events_series ON plan_events (series_id) WHERE series_id IS NOT NULL;

-- The newest state of each recurring event the notifier has applied: a plan made for an
-- occurrence while the read model is behind the notifier takes its state from here.
CREATE TABLE plan_series (
    event_id    uuid PRIMARY KEY,
    version     integer NOT NULL,
    event       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
