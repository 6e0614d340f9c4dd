"""The metrics catalogue: every metric any service exposes, declared once, and which of them
each service's `/metrics` exports (the families it moves).

Prometheus conventions: base units (`_seconds`), counters end in `_total`, and labels are
low-cardinality (route templates, status classes, outcomes; never ids or paths).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` gauge beside every counter and histogram: it doubled the series scraped, and
# nothing reads it (rate() and increase() handle resets themselves).
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client is untyped here

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "pinned_http_requests_total",
    "HTTP requests answered, by route template, method and status class.",
    ["route", "method", "status_class"],
)
HTTP_REQUEST_DURATION = Histogram(
    "pinned_http_request_duration_seconds",
    "Time from request received to response sent.",
    ["route", "method", "status_class"],
    buckets=_LATENCY_BUCKETS,
)
KAFKA_PRODUCE_DURATION = Histogram(
    "pinned_kafka_produce_duration_seconds",
    "Time until the broker acknowledged a produced message (acks=all).",
    ["topic"],
    buckets=_LATENCY_BUCKETS,
)
KAFKA_PRODUCE_FAILURES = Counter(
    "pinned_kafka_produce_failures_total",
    "Produce attempts that failed: reason timeout, broker_error or backlog_full.",
    ["topic", "reason"],
)
PRODUCER_RENEWALS = Counter(
    "pinned_kafka_producer_renewals_total",
    "Producers replaced after the broker refused their sequence numbers (e.g. after a broker "
    "restart), by the error that forced it.",
    ["reason"],
)
OUTCOME_WAITS = Counter(
    "pinned_gateway_outcome_waits_total",
    "Commands by how the wait for the publisher's outcome ended (answered, timed_out), or "
    "not_awaited for Prefer: respond-async.",
    ["result"],
)
COMMANDS = Counter(
    "pinned_publisher_commands_total",
    "Ingest commands applied by the publisher, by outcome (created, duplicate, rejected).",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "pinned_dead_letters_total",
    "Messages sent to the dead-letter topic, by the topic they were read from.",
    ["topic"],
)
CONSUMER_BATCH_DURATION = Histogram(
    "pinned_consumer_batch_duration_seconds",
    "Time to apply one batch, from fetch to its database commit.",
    ["group"],
    buckets=_LATENCY_BUCKETS,
)
CONSUMER_TRANSIENT_FAILURES = Counter(
    "pinned_consumer_transient_failures_total",
    "Batches retried because a dependency (database, broker) failed.",
    ["group"],
)
CONSUMER_LAG = Gauge(
    "pinned_consumer_lag_messages",
    "Messages in a partition not yet committed by the group.",
    ["group", "topic", "partition"],
)
AUDIT_ROWS = Counter(
    "pinned_auditor_rows_written_total",
    "Rows written by the auditor, by kind (request: one per gateway request). Redeliveries "
    "are not counted; command outcomes are counted by pinned_publisher_commands_total.",
    ["kind"],
)
DB_POOL_WAIT = Histogram(
    "pinned_db_pool_acquire_wait_seconds",
    "Time spent waiting for a free database connection (timeouts included).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DB_POOL_CONNECTIONS = Gauge(
    "pinned_db_pool_connections",
    "Database pool connections by state (in_use, idle).",
    ["state"],
)
RETENTION_ROWS_DELETED = Counter(
    "pinned_retention_rows_deleted_total",
    "Rows deleted past their table's retention by its owning service (notifications: the "
    "notifier; person_sessions: discovery; portal_sessions: the gateway), by table.",
    ["table"],
)
RATE_LIMITED = Counter(
    "pinned_rate_limited_total",
    "Requests refused with 429 by a rate limit, by the policy that refused them (the gateway's "
    "ip, key, route and owner policies; discovery's discovery-ip and people's sign-in ones).",
    ["policy"],
)
ADMISSION_REJECTED = Counter(
    "pinned_gateway_admission_rejected_total",
    "Write requests refused at once with 503 overloaded by admission control, by route "
    "(a watched queue held a standing delay: the event loop's lateness, Kafka "
    "acknowledgements, key claims or database connections above their target for a whole "
    "GATEWAY_ADMISSION_INTERVAL_SECONDS).",
    ["route"],
)
ADMISSION_REFUSING = Gauge(
    "pinned_gateway_admission_refusing",
    "1 while admission control refuses new write requests (any route), else 0.",
)
EVENT_LOOP_LAG = Histogram(
    "pinned_gateway_event_loop_lag_seconds",
    "How late the gateway's event loop ran a timer: the sojourn time of its ready queue, "
    "which admission control watches.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
AUTH_FAILURES = Counter(
    "pinned_gateway_auth_failures_total",
    "Requests refused with 401, by reason (malformed, unknown_key, bad_secret, inactive, "
    "key_in_query). The answer is the same for all; only this metric tells them apart.",
    ["reason"],
)
ACCESS_CACHE_LOOKUPS = Counter(
    "pinned_gateway_access_cache_lookups_total",
    "Key, channel-access and webhook integration lookups by the gateway, by kind (key, "
    "channel, integration) and result (hit: answered from memory; miss: read from "
    "PostgreSQL).",
    ["kind", "result"],
)
WEBHOOK_DELIVERIES = Counter(
    "pinned_webhook_deliveries_total",
    "Webhook deliveries answered, by sender kind and status (accepted, ignored, invalid, "
    "unauthorized, rate_limited).",
    ["source", "status"],
)
OLDEST_UNAPPLIED_AGE = Gauge(
    "pinned_consumer_group_oldest_unapplied_age_seconds",
    "Age of the oldest message a consumer group has not committed yet (0 when caught up), "
    "measured by the gateway: how stale the stored data may be.",
    ["group", "topic"],
)
GROUP_LAG = Gauge(
    "pinned_consumer_group_lag_messages",
    "Messages not yet committed by a consumer group, measured by the gateway from outside the "
    "group, so it keeps growing while the group's consumers are down.",
    ["group", "topic", "partition"],
)
CHANGES_RELAYED = Counter(
    "pinned_change_records_relayed_total",
    "Change records the publisher's relay sent to the change stream (a record sent again "
    "after a crash counts again).",
)
OUTBOX_OLDEST_AGE = Gauge(
    "pinned_change_outbox_oldest_age_seconds",
    "Age of the oldest change still in the outbox, not yet in the change stream (0 when "
    "empty), as the relay last saw it.",
)
PROJECTED_CHANGES = Counter(
    "pinned_discovery_projected_changes_total",
    "Change records the discovery projector handled, by result (applied: the read model "
    "moved to this version; older: it already held this version or a newer one).",
    ["result"],
)
PROJECTION_DELAY = Histogram(
    "pinned_discovery_projection_delay_seconds",
    "From the publisher applying a change to the read model showing it: how long a "
    "published change takes to reach the public pages, feeds and search.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
FEED_BUILD_DURATION = Histogram(
    "pinned_discovery_feed_build_seconds",
    "Time to render a feed that was not cached (its scope changed), by format and scope kind.",
    ["format", "scope"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
FEED_REQUESTS = Counter(
    "pinned_discovery_feed_requests_total",
    "Feed requests by format and whether the feed was served from cache or built.",
    ["format", "result"],
)
SEARCH_CACHE_REQUESTS = Counter(
    "pinned_discovery_search_cache_requests_total",
    "JSON searches answered from the per-process cache (hit) or by running the search (miss).",
    ["result"],
)
NOTICES_DELIVERED = Counter(
    "pinned_notifier_notices_total",
    "Notices written to people's inboxes by the notifier, by kind (reminder, event_moved, "
    "event_cancelled, event_unpublished, waitlist_promoted); a notice delivered again is not "
    "counted.",
    ["kind"],
)
PLAN_CHANGES = Counter(
    "pinned_notifier_event_changes_total",
    "Change records the notifier handled, by result (applied: planning moved to this "
    "version; older: it already held this version or a newer one).",
    ["result"],
)
REMINDERS_EMITTED = Counter(
    "pinned_scheduler_reminders_total",
    "Due reminders the scheduler handled, by result (sent: on the notifications topic; "
    "skipped: the event had started by then). A batch sent again after a crash counts again.",
    ["result"],
)
REMINDER_LATENESS = Histogram(
    "pinned_scheduler_reminder_lateness_seconds",
    "From a reminder's due instant to the broker acknowledging it, on the scheduler's clock.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0),
)
SCHEDULER_CLOCK = Gauge(
    "pinned_scheduler_clock_timestamp_seconds",
    "The scheduler's clock (Unix seconds) at its last completed pass over due reminders: "
    "falling behind the wall clock means reminders are not going out.",
)
STORE_REFUSALS = Counter(
    "pinned_publisher_store_refusals_total",
    "Commands the gateway accepted that PostgreSQL refused, by reason (text, date, number, "
    "channel, other). The edge validates everything the store checks, so each is a bug: "
    "the command is recorded as rejected and its request id logged with the database's error.",
    ["reason"],
)


# What each service's /metrics exports: the families it moves. Every family is declared in
# one process-wide registry, so exporting all of it would show each service the others'
# families as constant zeros (the projection delay on discovery, the scheduler's clock on the
# gateway). A metric a service starts to move goes into its tuple here, or its /metrics does
# not show it (tests/integration/test_observability.py holds each service to its tuple).
_HTTP = (HTTP_REQUESTS, HTTP_REQUEST_DURATION)
_POOL = (DB_POOL_CONNECTIONS, DB_POOL_WAIT)
_GROUPS_WATCHED = (GROUP_LAG, OLDEST_UNAPPLIED_AGE)
_CONSUMER = (
    CONSUMER_BATCH_DURATION,
    CONSUMER_TRANSIENT_FAILURES,
    CONSUMER_LAG,
    DEAD_LETTERS,
    PRODUCER_RENEWALS,  # the producer of its dead letters, and of what it sends on
)
GATEWAY_METRICS = (
    *_HTTP,
    *_POOL,
    *_GROUPS_WATCHED,
    KAFKA_PRODUCE_DURATION,
    KAFKA_PRODUCE_FAILURES,
    PRODUCER_RENEWALS,
    OUTCOME_WAITS,
    RATE_LIMITED,
    ADMISSION_REJECTED,
    ADMISSION_REFUSING,
    EVENT_LOOP_LAG,
    AUTH_FAILURES,
    ACCESS_CACHE_LOOKUPS,
    WEBHOOK_DELIVERIES,
    RETENTION_ROWS_DELETED,  # portal sessions
)
PUBLISHER_METRICS = (
    *_POOL,
    *_CONSUMER,
    COMMANDS,
    STORE_REFUSALS,
    KAFKA_PRODUCE_FAILURES,
    CHANGES_RELAYED,
    OUTBOX_OLDEST_AGE,
)
AUDITOR_METRICS = (*_POOL, *_CONSUMER, AUDIT_ROWS)
PROJECTOR_METRICS = (*_POOL, *_CONSUMER, PROJECTED_CHANGES, PROJECTION_DELAY)
DISCOVERY_METRICS = (
    *_HTTP,
    *_POOL,
    *_GROUPS_WATCHED,
    RATE_LIMITED,
    FEED_BUILD_DURATION,
    FEED_REQUESTS,
    SEARCH_CACHE_REQUESTS,
    RETENTION_ROWS_DELETED,  # people's sessions
)
SCHEDULER_METRICS = (
    *_POOL,
    KAFKA_PRODUCE_FAILURES,
    PRODUCER_RENEWALS,
    REMINDERS_EMITTED,
    REMINDER_LATENESS,
    SCHEDULER_CLOCK,
)
NOTIFIER_METRICS = (
    *_POOL,
    *_CONSUMER,
    NOTICES_DELIVERED,
    PLAN_CHANGES,
    RETENTION_ROWS_DELETED,  # inbox notices
)
