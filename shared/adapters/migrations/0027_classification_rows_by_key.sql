-- The triggers of 0025 removed classification rows with a join the planner ran as a hash
-- join over the whole of discovery_event_classifications (the transition table's rows cannot
-- drive an index scan through unnest there): a millisecond per 14,000 rows on every projector
-- batch, even one that removed nothing, and PostgreSQL's largest cost per ingested event in
-- `make bench`. Each row is now removed by its primary key, found through the index.
-- Drafts never have classification rows (0025), so their old rows are not looked up.

-- The rows of the given (classification, start_at, event_id) keys, one index lookup each.
CREATE FUNCTION discovery_classifications_forget(
    classifications text[], start_ats timestamptz[], event_ids uuid[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    gone record;
BEGIN
    FOR gone IN
        SELECT DISTINCT * FROM unnest(classifications, start_ats, event_ids)
            AS g(classification, start_at, event_id)
    LOOP
        DELETE FROM discovery_event_classifications
        WHERE classification = gone.classification AND start_at = gone.start_at
          AND event_id = gone.event_id;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION discovery_classifications_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM discovery_classifications_forget(array_agg(c), array_agg(o.start_at),
                                             array_agg(o.event_id))
    FROM removed_rows o, unnest(o.classifications) AS c
    WHERE o.status <> 'draft';
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION discovery_classifications_replaced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM discovery_classifications_forget(array_agg(c), array_agg(o.start_at),
                                             array_agg(o.event_id))
    FROM replaced_rows o, unnest(o.classifications) AS c
    WHERE o.status <> 'draft';
    INSERT INTO discovery_event_classifications
        (classification, start_at, event_id, local_date, channel_id, status)
    SELECT DISTINCT c, n.start_at, n.event_id, n.local_date, n.channel_id, n.status
    FROM updated_rows n, unnest(n.classifications) AS c
    WHERE n.status <> 'draft';
    RETURN NULL;
END
$$;
