"""Every Kafka topic and consumer group the system uses, spelled in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Topic(StrEnum):
    INGEST = "pinned.ingest.v1"
    DEAD_LETTER = "pinned.dlq.v1"
    OUTCOMES = "pinned.outcomes.v1"
    AUDIT = "pinned.audit.v1"
    # Every applied change of an event, keyed by event id, in apply order; compacted, so it
    # also holds the latest state of every event for a consumer that starts from scratch.
    EVENT_CHANGES = "pinned.event-changes.v1"
    # Reminders that fell due, keyed by person id: scheduler -> notifier -> inbox.
    NOTIFICATIONS = "pinned.notifications.v1"


class ConsumerGroup(StrEnum):
    PUBLISHER = "pinned-publisher"
    AUDITOR = "pinned-auditor"
    PROJECTOR = "pinned-discovery-projector"
    # Reads the change stream (events moving, cancelled, their capacity) and notifications.
    NOTIFIER = "pinned-notifier"


@dataclass(frozen=True)
class TopicSpec:
    """`retention_ms` applies to `delete` topics. A `compact` topic keeps the newest record
    of every key for good, and every record for at least `min_compaction_lag_ms`."""

    topic: Topic
    partitions: int
    retention_ms: int | None = None
    cleanup_policy: str = "delete"
    min_compaction_lag_ms: int | None = None


_DAY_MS = 24 * 3600 * 1000
# How long an accepted command can wait in Kafka to be applied; what is kept of commands in
# PostgreSQL (idempotency keys, outcomes) is kept longer.
INGEST_RETENTION = timedelta(days=7)

# Partition counts bound how far publisher and auditor scale out: one consumer per partition.
# Ingest keeps a week so a replay after a bad deploy is possible; the dead-letter topic (one
# for every consumer, origin in the headers) keeps a month so an operator can fix and replay.
TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec(
        Topic.INGEST, partitions=12, retention_ms=INGEST_RETENTION // timedelta(milliseconds=1)
    ),
    TopicSpec(Topic.DEAD_LETTER, partitions=3, retention_ms=30 * _DAY_MS),
    TopicSpec(Topic.OUTCOMES, partitions=6, retention_ms=1 * _DAY_MS),
    TopicSpec(Topic.AUDIT, partitions=6, retention_ms=7 * _DAY_MS),
    # A consumer less than a day behind sees every change (the notifier needs transitions,
    # such as an event moving); one starting later still finds every event's latest state.
    TopicSpec(
        Topic.EVENT_CHANGES,
        partitions=12,
        cleanup_policy="compact",
        min_compaction_lag_ms=1 * _DAY_MS,
    ),
    # A week: a notifier down that long still delivers every reminder (late) on its return.
    TopicSpec(Topic.NOTIFICATIONS, partitions=12, retention_ms=7 * _DAY_MS),
)

# The longest any record is kept in a `delete` topic (the dead-letter topic's month): a row
# deduplicating records by id (an inbox notice) must outlive it, or a record delivered again
# would write anew what was deleted.
LONGEST_RETENTION = max(
    timedelta(milliseconds=spec.retention_ms) for spec in TOPIC_SPECS if spec.retention_ms
)
