-- The tables that grow with traffic are partitioned by time (a week a partition), so their
-- retention is kept by dropping a partition (one catalog change) instead of deleting rows one by one (dead
-- tuples, vacuum, WAL for every row): audit_log, command_outcomes, idempotency_keys and
-- webhook_deliveries. Each has one owner that creates partitions a few days ahead and drops
-- those past its retention (shared/adapters/partitions.py; docs/operations.md#retention), and
-- a DEFAULT partition, so an insert never fails for want of a partition: rows dated beyond
-- the days created wait there and are moved into their day's partition when it is created.
-- Rows older than the days created here go to one partition below them, dropped by the first
-- maintenance (whatever the retention setting, nothing there is within it by default).

-- The partitions of `parent` (RANGE on one timestamptz or date column) of `width_days` days
-- each, in UTC, aligned on multiples of the width since 1970-01-05 (a Monday: weekly ones
-- start on Mondays), that are missing between first_day and last_day. Each is created on its
-- own, given the rows the DEFAULT partition holds for its range and attached: ATTACH takes a
-- lock that lets reads and writes go on (CREATE TABLE ... PARTITION OF would block them) and
-- builds the parent's indexes, constraints and triggers on it. Returns how many were created.
CREATE FUNCTION create_partitions(parent regclass, width_days integer, first_day date,
                                  last_day date)
RETURNS integer LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
DECLARE
    key_column text;
    default_part regclass;
    low date := first_day - (first_day - date '1970-01-05') % width_days;
    part text;
    created integer := 0;
BEGIN
    SELECT a.attname, nullif(p.partdefid, 0)::regclass INTO key_column, default_part
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent;
    WHILE low <= last_day LOOP
        part := format('%s_p%s', parent::text, to_char(low, 'YYYYMMDD'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           part, parent);
            IF default_part IS NOT NULL THEN
                EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L'
                               ' RETURNING *) INSERT INTO %I SELECT * FROM moved',
                               default_part, key_column, low, key_column, low + width_days,
                               part);
            END IF;
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           parent, part, low, low + width_days);
            created := created + 1;
        END IF;
        low := low + width_days;
    END LOOP;
    RETURN created;
END
$$;

-- Drops every partition of `parent` whose rows all precede `cutoff` (its upper bound is at or
-- before it). The DEFAULT partition is kept; the few rows it holds older than the cutoff
-- (dated outside every partition, e.g. by a skewed clock) are deleted. Returns how many
-- partitions were dropped.
CREATE FUNCTION drop_partitions_before(parent regclass, cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
DECLARE
    key_column text;
    part regclass;
    bound text;
    dropped integer := 0;
BEGIN
    SELECT a.attname INTO key_column
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent;
    FOR part, bound IN
        SELECT c.oid::regclass, pg_get_expr(c.relpartbound, c.oid)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = parent
    LOOP
        IF bound = 'DEFAULT' THEN
            EXECUTE format('DELETE FROM %s WHERE %I < %L', part, key_column, cutoff);
        ELSIF substring(bound FROM 'TO \(''([^'']+)''\)')::timestamptz <= cutoff THEN
            EXECUTE format('DROP TABLE %s', part);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$;

-- `old_table`'s rows into the partitioned `parent`: first_day to last_day get partitions of
-- width_days, older rows one partition below them, the rest the DEFAULT partition.
CREATE FUNCTION partition_rows_of(parent regclass, old_table regclass, width_days integer,
                                  first_day date, last_day date)
RETURNS void LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
DECLARE
    columns text := (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
                     FROM pg_attribute WHERE attrelid = parent AND attnum > 0
                       AND NOT attisdropped);
BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF %s DEFAULT', parent::text || '_default',
                   parent);
    EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (MINVALUE) TO (%L)',
                   parent::text || '_older', parent,
                   first_day - (first_day - date '1970-01-05') % width_days);
    PERFORM create_partitions(parent, width_days, first_day, last_day);
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', parent, columns, columns, old_table);
    EXECUTE format('DROP TABLE %s', old_table);
END
$$;

-- audit_log: partitioned by occurred_at (the gateway's time of the request, carried by the
-- record, so a redelivered record conflicts with its row: ON CONFLICT (record_id, occurred_at)).
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
CREATE TABLE audit_log (
    record_id         uuid NOT NULL,
    request_id        text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    method            text NOT NULL,
    route             text NOT NULL,
    path              text NOT NULL,
    status            integer NOT NULL,
    duration_seconds  double precision NOT NULL,
    client_ip         inet,
    user_agent        text,
    owner_account_id  bigint,
    api_key_id        uuid,
    key_prefix        text,
    error_code        text
) PARTITION BY RANGE (occurred_at);
SELECT partition_rows_of('audit_log', 'audit_log_unpartitioned', 7,
                         (now() AT TIME ZONE 'UTC')::date - 91,
                         (now() AT TIME ZONE 'UTC')::date + 3);
ALTER TABLE audit_log ADD PRIMARY KEY (record_id, occurred_at);
CREATE INDEX audit_log_key_time ON audit_log (api_key_id, occurred_at);
CREATE INDEX audit_log_request ON audit_log (request_id);
CREATE INDEX audit_log_owner_time ON audit_log (owner_account_id, occurred_at DESC);

-- command_outcomes: partitioned by received_at, the gateway's time of the request, which the
-- command carries: a redelivered command's outcome lands in its first one's partition and
-- conflicts with it (ON CONFLICT (message_id, received_at)), and an operation id, which
-- holds that time to the second, names the partitions to look in. Rows recorded before this
-- column existed take their decided_at, which is later: a lookup from received_at on finds them.
ALTER TABLE command_outcomes RENAME TO command_outcomes_unpartitioned;
CREATE TABLE command_outcomes (
    message_id        uuid NOT NULL,
    request_id        text NOT NULL,
    owner_account_id  bigint NOT NULL,
    event_id          uuid NOT NULL,
    status            text NOT NULL,
    reason_code       text,
    reason            text,
    decided_at        timestamptz NOT NULL,
    fields            jsonb,
    received_at       timestamptz NOT NULL
) PARTITION BY RANGE (received_at);
ALTER TABLE command_outcomes_unpartitioned ADD COLUMN received_at timestamptz;
UPDATE command_outcomes_unpartitioned SET received_at = decided_at;
SELECT partition_rows_of('command_outcomes', 'command_outcomes_unpartitioned', 7,
                         (now() AT TIME ZONE 'UTC')::date - 31,
                         (now() AT TIME ZONE 'UTC')::date + 3);
ALTER TABLE command_outcomes ADD PRIMARY KEY (message_id, received_at);

-- idempotency_keys: partitioned by created_on, the UTC day of the claim. The primary key
-- (owner, key, day) holds within a day; the publisher's claim also looks for the key on the
-- earlier days (services/publisher/bulk.py), in the same statement: a per-row trigger doing
-- that cost 150 us a row (an executor start over every partition), the statement 12 us. It
-- does not see a claim another transaction has not committed yet; two such claims of one key
-- on two days would need two commands with that key applied at once across midnight, which
-- does not happen: commands on one event are applied in order by one consumer, and a gateway
-- refuses a second request while the first holds the key (idempotency_inflight, 409).
ALTER TABLE idempotency_keys RENAME TO idempotency_keys_unpartitioned;
CREATE TABLE idempotency_keys (
    owner_account_id  bigint NOT NULL,
    idempotency_key   text NOT NULL,
    request_hash      text NOT NULL,
    event_id          uuid NOT NULL,
    message_id        uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_on        date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date
) PARTITION BY RANGE (created_on);
ALTER TABLE idempotency_keys_unpartitioned ADD COLUMN created_on date;
UPDATE idempotency_keys_unpartitioned SET created_on = (created_at AT TIME ZONE 'UTC')::date;
SELECT partition_rows_of('idempotency_keys', 'idempotency_keys_unpartitioned', 7,
                         (now() AT TIME ZONE 'UTC')::date - 9,
                         (now() AT TIME ZONE 'UTC')::date + 3);
ALTER TABLE idempotency_keys ADD PRIMARY KEY (owner_account_id, idempotency_key, created_on);

-- webhook_deliveries: partitioned by received_at (the deliveries log's order).
ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_unpartitioned;
ALTER TABLE webhook_deliveries_unpartitioned
    RENAME CONSTRAINT webhook_deliveries_status_check TO webhook_deliveries_status_check_old;
CREATE TABLE webhook_deliveries (
    id              uuid NOT NULL,
    integration_id  uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    request_id      text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    sender_action   text,
    document_id     text,
    status          text NOT NULL CONSTRAINT webhook_deliveries_status_check
        CHECK (status IN ('accepted', 'ignored', 'invalid', 'unauthorized', 'rate_limited',
                          'ping')),
    reason_code     text,
    reason          text,
    fields          jsonb,
    message_id      uuid,
    event_id        uuid,
    headers         jsonb,
    body            bytea,
    notes           jsonb,
    replay_of       uuid,
    idempotency_key text,
    query           text
) PARTITION BY RANGE (received_at);
SELECT partition_rows_of('webhook_deliveries', 'webhook_deliveries_unpartitioned', 7,
                         (now() AT TIME ZONE 'UTC')::date - 31,
                         (now() AT TIME ZONE 'UTC')::date + 3);
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (id, received_at);
CREATE INDEX webhook_deliveries_integration ON webhook_deliveries (integration_id, received_at);

DROP FUNCTION partition_rows_of(regclass, regclass, integer, date, date);
