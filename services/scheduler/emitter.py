"""Due reminders -> the notifications topic, each exactly once in people's inboxes.

One pass: in one transaction, take a batch of pending reminders due by the clock
(`FOR UPDATE SKIP LOCKED`, so schedulers running side by side take disjoint batches and a
dead one's rows are free again the moment its connection drops), send them (acks=all), and
only then mark them sent and commit. A crash before the commit leaves them pending, so the
next pass sends them again with the same notification ids, which the inbox stores once:
nothing is skipped and nothing doubled. A reminder whose event has started by the time it
is handled (the scheduler was down past it) is marked skipped instead: a reminder after the
start would only be noise. So is one of an event whose channel has turned private: its page
answers 404 and it is gone from the person's lists, so a reminder would point nowhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import datetime

import asyncpg
import structlog
from aiokafka.errors import KafkaError

from services.scheduler.clock import Clock
from shared.adapters.kafka import Producer, count_produce_failure, expose_produce_failures
from shared.contracts.notifications import ReminderDue, encode_reminder
from shared.contracts.topics import Topic
from shared.core.metrics import REMINDER_LATENESS, REMINDERS_EMITTED, SCHEDULER_CLOCK
from shared.domain.reminders import reminder_id

log = structlog.get_logger("scheduler")

_DUE = """
SELECT r.person_id, r.event_id, r.minutes_before, r.due_at,
       e.title, e.start_at, e.timezone,
       c.visibility IS DISTINCT FROM 'private' AS visible
FROM reminders r JOIN plan_events e ON e.event_id = r.event_id
LEFT JOIN channels c ON c.id = e.channel_id
WHERE r.state = 'pending' AND r.due_at <= $1
ORDER BY r.due_at
LIMIT $2
FOR UPDATE OF r SKIP LOCKED
"""

_DONE = """
UPDATE reminders r SET state = u.state, sent_at = $1
FROM unnest($2::bigint[], $3::uuid[], $4::integer[], $5::text[])
    AS u(person_id, event_id, minutes_before, state)
WHERE r.person_id = u.person_id AND r.event_id = u.event_id
  AND r.minutes_before = u.minutes_before
"""

_FAILURES = (OSError, TimeoutError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ReminderScheduler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: Producer,
        clock: Clock,
        batch_size: int,
        poll_seconds: float,
        send_timeout_seconds: float,
        crash_at: str | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._clock = clock
        self._batch = batch_size
        self._poll = poll_seconds
        self._send_timeout = send_timeout_seconds
        self._crash_at = crash_at
        self._batches = 0
        self._stopping = asyncio.Event()
        expose_produce_failures(Topic.NOTIFICATIONS)

    def stop(self) -> None:
        """Return from `run` after the batch in hand (committed or rolled back whole)."""
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                handled = await self.pass_once()
                backoff = 0.2
            except _FAILURES as exc:
                log.warning("reminder pass failed; retrying", error=repr(exc), retry_in=backoff)
                handled, backoff = 0, min(backoff * 2, 10.0)
                await asyncio.sleep(backoff)
            if handled < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._poll)

    async def pass_once(self) -> int:
        """Every reminder due by now, batch after batch; returns how many the last one held."""
        now = self._clock.now()
        handled = self._batch
        while handled == self._batch and not self._stopping.is_set():
            handled = await self.emit_batch(now)
        SCHEDULER_CLOCK.set(now.timestamp())
        return handled

    async def emit_batch(self, now: datetime) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_DUE, now, self._batch)
            due = [row for row in rows if _sendable(row, now)]
            if due:
                await self._send([_reminder(row, now) for row in due])
                self._failpoint()
            states = ["sent" if _sendable(row, now) else "skipped" for row in rows]
            await conn.execute(
                _DONE,
                now,
                [r["person_id"] for r in rows],
                [r["event_id"] for r in rows],
                [r["minutes_before"] for r in rows],
                states,
            )
        REMINDERS_EMITTED.labels("sent").inc(len(due))
        REMINDERS_EMITTED.labels("skipped").inc(len(rows) - len(due))
        for row in due:
            REMINDER_LATENESS.observe(max(0.0, (now - row["due_at"]).total_seconds()))
        if rows:
            skipped = len(rows) - len(due)
            log.info("reminders handled", sent=len(due), skipped=skipped, clock=now.isoformat())
        return len(rows)

    async def _send(self, reminders: list[ReminderDue]) -> None:
        records = [(encode_reminder(r), str(r.person_id).encode(), None) for r in reminders]
        try:
            errors = await asyncio.wait_for(
                self._producer.send_many(Topic.NOTIFICATIONS, records), self._send_timeout
            )
        except (TimeoutError, KafkaError) as exc:
            count_produce_failure(Topic.NOTIFICATIONS, exc)
            raise
        failed = next((e for e in errors if e is not None), None)
        if failed is not None:
            count_produce_failure(Topic.NOTIFICATIONS, failed)
            # The transaction rolls back: every reminder of the batch stays pending and goes
            # again; the ones that did land are stored once by the inbox.
            raise KafkaError(f"reminder not acknowledged: {failed!r}") from failed

    def _failpoint(self) -> None:
        self._batches += 1
        if self._crash_at == f"after_send:{self._batches}":
            log.warning("failpoint reached: exiting abruptly", failpoint=self._crash_at)
            os._exit(137)


def _reminder(row: asyncpg.Record, now: datetime) -> ReminderDue:
    return ReminderDue(
        notification_id=reminder_id(
            row["person_id"], row["event_id"], row["minutes_before"], row["due_at"]
        ),
        person_id=row["person_id"],
        event_id=row["event_id"],
        minutes_before=row["minutes_before"],
        due_at=row["due_at"],
        emitted_at=now,
        event_title=row["title"],
        event_start_at=row["start_at"],
        event_timezone=row["timezone"],
    )


def _sendable(row: asyncpg.Record, now: datetime) -> bool:
    return bool(row["visible"]) and row["start_at"] > now
