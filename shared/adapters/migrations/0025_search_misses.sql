-- A search the cache cannot answer (docs/discovery.md "Benchmark") made cheap.
--
-- 1. Each event's public JSON, kept as text: the API's document is this text with its url,
--    icsUrl and channel (which depend on the request's base URL and on the channel's row)
--    appended by plain text concatenation, instead of two jsonb deletions, a jsonb merge and
--    the jsonb's output for every row of every page (0.3-0.5 ms of a 21-row page). Generated,
--    so every writer of discovery_events (the projector, the benchmark's fill, tests) keeps
--    them right. jsonb_build_object is only stable, hence jsonb_object and a cast.
ALTER TABLE discovery_events
    ADD COLUMN public_id text GENERATED ALWAYS AS (event ->> 'id') STORED,
    -- the document without its closing brace: status and version are the row's own
    ADD COLUMN public_head text GENERATED ALWAYS AS (left((
        (event - 'sourceId' - 'sourceUpdatedAt')
        || jsonb_object(ARRAY['status', status])
        || ('{"version": ' || version::text || '}')::jsonb)::text, -1)) STORED;

-- 2. Events by classification in start order. A GIN index on the array finds an interest's
--    events but not in start order, so a search for one over a week fetched all of them in
--    the week (600 of the benchmark's 100,000) to sort them and keep 21; a BitmapAnd with
--    a whole-index scan for the dates made it 7-12 ms. One row per (classification, event)
--    here, kept by the triggers below from discovery_events (drafts left out), read in
--    index order: a page costs about its own 21 rows. The columns a search filters on are in
--    the index, so the filter needs no visit to the table.
CREATE TABLE discovery_event_classifications (
    classification  text NOT NULL,
    start_at        timestamptz NOT NULL,
    event_id        uuid NOT NULL,
    local_date      date NOT NULL,
    channel_id      bigint NOT NULL,
    status          text NOT NULL,
    PRIMARY KEY (classification, start_at, event_id) INCLUDE (local_date, channel_id, status)
);

INSERT INTO discovery_event_classifications
    (classification, start_at, event_id, local_date, channel_id, status)
SELECT DISTINCT c, d.start_at, d.event_id, d.local_date, d.channel_id, d.status
FROM discovery_events d, unnest(d.classifications) AS c
WHERE d.status <> 'draft';

CREATE FUNCTION discovery_classifications_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO discovery_event_classifications
        (classification, start_at, event_id, local_date, channel_id, status)
    SELECT DISTINCT c, n.start_at, n.event_id, n.local_date, n.channel_id, n.status
    FROM added_rows n, unnest(n.classifications) AS c
    WHERE n.status <> 'draft';
    RETURN NULL;
END
$$;

-- By the whole key, so each row is found by the primary key.
CREATE FUNCTION discovery_classifications_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM discovery_event_classifications k
    USING removed_rows o, unnest(o.classifications) AS c
    WHERE k.classification = c AND k.start_at = o.start_at AND k.event_id = o.event_id;
    RETURN NULL;
END
$$;

-- The projector replaces rows (delete, insert); an update elsewhere is followed all the same.
CREATE FUNCTION discovery_classifications_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM discovery_event_classifications k
    USING replaced_rows o, unnest(o.classifications) AS c
    WHERE k.classification = c AND k.start_at = o.start_at AND k.event_id = o.event_id;
    INSERT INTO discovery_event_classifications
        (classification, start_at, event_id, local_date, channel_id, status)
    SELECT DISTINCT c, n.start_at, n.event_id, n.local_date, n.channel_id, n.status
    FROM updated_rows n, unnest(n.classifications) AS c
    WHERE n.status <> 'draft';
    RETURN NULL;
END
$$;

CREATE TRIGGER discovery_events_classifications_added
    AFTER INSERT ON discovery_events REFERENCING NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_classifications_added();

CREATE TRIGGER discovery_events_classifications_removed
    AFTER DELETE ON discovery_events REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_classifications_removed();

CREATE TRIGGER discovery_events_classifications_replaced
    AFTER UPDATE ON discovery_events
    REFERENCING OLD TABLE AS replaced_rows NEW TABLE AS updated_rows
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_classifications_replaced();
