"""The notifier's composition root and its batch step: the change stream and the
notifications topic -> people's inboxes, attendance and reminders, in one transaction per
batch (offsets are committed after it, so a crash replays the batch, and every write in it
is idempotent: notices by id, changes by version)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from services.notifier.changes import apply_changes
from services.notifier.settings import NotifierSettings
from shared.adapters.inbox import Notice, deliver
from shared.adapters.row_retention import RowRetention, keep_rows
from shared.contracts.changes import EventChange, decode_change
from shared.contracts.notifications import ReminderDue, decode_reminder
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.metrics import NOTICES_DELIVERED, PLAN_CHANGES
from shared.core.tasks import cancel_and_wait
from shared.domain.reminders import reminder_text
from shared.runtime.consumer_loop import Decoded
from shared.runtime.consumer_service import open_consumer_service
from shared.runtime.ops_http import Check
from shared.runtime.worker_runtime import Loop

log = structlog.get_logger("notifier")

TOPICS = (Topic.EVENT_CHANGES, Topic.NOTIFICATIONS)


def _decode(record: ConsumerRecord) -> EventChange | ReminderDue:
    if record.topic == Topic.NOTIFICATIONS:
        return decode_reminder(record.value)
    return decode_change(record.value)


def reminder_notice(reminder: ReminderDue) -> Notice:
    title, body = reminder_text(
        reminder.event_title,
        reminder.event_start_at,
        reminder.event_timezone,
        reminder.minutes_before,
    )
    return Notice(
        id=reminder.notification_id,
        person_id=reminder.person_id,
        kind="reminder",
        event_id=reminder.event_id,
        title=title,
        body=body,
        data={
            "eventId": str(reminder.event_id),
            "minutesBefore": reminder.minutes_before,
            "dueAt": reminder.due_at.isoformat(),
            "startAt": reminder.event_start_at.isoformat(),
        },
    )


class Notifier:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, batch: Sequence[Decoded[EventChange | ReminderDue]]) -> None:
        changes = [i.message for i in batch if isinstance(i.message, EventChange)]
        reminders = [
            reminder_notice(i.message) for i in batch if isinstance(i.message, ReminderDue)
        ]
        async with self._pool.acquire() as conn, conn.transaction():
            outcome = await apply_changes(conn, changes)
            new_reminders = await deliver(conn, reminders)
        PLAN_CHANGES.labels("applied").inc(outcome.applied)
        PLAN_CHANGES.labels("older").inc(outcome.older)
        NOTICES_DELIVERED.labels("reminder").inc(new_reminders)
        for kind, count in Counter(n.kind for n in outcome.notices).items():
            NOTICES_DELIVERED.labels(kind).inc(count)
        log.info(
            "batch applied",
            changes=len(changes),
            changes_applied=outcome.applied,
            change_notices=len(outcome.notices),
            reminders=len(reminders),
            reminders_new=new_reminders,
        )


@contextlib.asynccontextmanager
async def open_notifier(
    settings: NotifierSettings, checks: dict[str, Check]
) -> AsyncIterator[list[Loop]]:
    async with open_consumer_service(
        "notifier", settings, ConsumerGroup.NOTIFIER, TOPICS, checks
    ) as service:
        inbox = RowRetention(
            "notifications", "created_at", timedelta(days=settings.inbox_retention_days)
        )
        task = asyncio.create_task(keep_rows(service.pool, [inbox]), name="row-retention")
        try:
            yield list(service.loops(_decode, Notifier(service.pool).apply))
        finally:
            await cancel_and_wait(task)
