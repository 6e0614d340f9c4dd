"""Event changes -> planning: each event's state (newer versions only), notices to the
people who planned it when it moves or is cancelled, their reminders moved with it, and
waitlisted people promoted when its capacity grows.

Records are handled in (event, change) order inside the batch's transaction, and each takes
its event's planning row lock, the lock every RSVP takes, so people answering at that moment
are counted either before or after the change, never half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import asyncpg

from shared.adapters.inbox import Notice, deliver
from shared.adapters.plans import PlanEvent, planners, store_attendance, sync_reminders
from shared.contracts.changes import EventChange
from shared.domain.attendance import Attendance, with_capacity
from shared.domain.reminders import NoticeKind, cancelled_text, change_notice_id, moved_text

_HELD = """
SELECT p.*, c.visibility FROM plan_events p JOIN channels c ON c.id = p.channel_id
WHERE p.event_id = $1 FOR UPDATE OF p
"""

_UPSERT = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, capacity)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (event_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
    channel_id = EXCLUDED.channel_id, title = EXCLUDED.title, start_at = EXCLUDED.start_at,
    end_at = EXCLUDED.end_at, timezone = EXCLUDED.timezone, updated_at = now()
WHERE plan_events.version < EXCLUDED.version
RETURNING event_id
"""


@dataclass(frozen=True)
class Applied:
    applied: int
    older: int
    notices: list[Notice]


async def apply_changes(conn: asyncpg.Connection, changes: Sequence[EventChange]) -> Applied:
    applied, older, notices = 0, 0, []
    for change in sorted(changes, key=lambda c: (str(c.event_id), c.change_id)):
        held = await conn.fetchrow(_HELD, change.event_id)
        if held is not None and held["version"] >= change.version:
            older += 1
            continue
        await _store(conn, change, first=held is None)
        applied += 1
        if held is not None:
            notices += await _transition(conn, held, change)
    return Applied(applied, older, notices)


async def _store(conn: asyncpg.Connection, change: EventChange, first: bool) -> None:
    event = change.event
    await conn.fetchval(
        _UPSERT, change.event_id, change.version, event.status, event.channelId, event.title,
        event.startAt, event.endAt, event.timezone, event.capacity if first else None,
    )  # fmt: skip


async def _transition(
    conn: asyncpg.Connection, held: asyncpg.Record, change: EventChange
) -> list[Notice]:
    event = change.event
    moved = held["start_at"] != event.startAt and event.status == "published"
    cancelled = event.status == "cancelled" and held["status"] != "cancelled"
    notices: list[Notice] = []
    if moved or cancelled:
        kind: NoticeKind = "event_cancelled" if cancelled else "event_moved"
        text = cancelled_text if cancelled else moved_text
        title, body = text(event.title, event.startAt, event.timezone)
        notices = [
            Notice(
                id=change_notice_id(person, change.event_id, change.version, kind),
                person_id=person,
                kind=kind,
                event_id=change.event_id,
                title=title,
                body=body,
                data={
                    "eventId": str(change.event_id),
                    "startAt": event.startAt.isoformat(),
                    "previousStartAt": held["start_at"].isoformat(),
                    "version": change.version,
                },
            )
            for person in await planners(conn, change.event_id)
        ]
        await deliver(conn, notices)
    if moved or held["status"] != event.status:
        await sync_reminders(conn, None, change.event_id)
    if held["capacity"] != event.capacity:
        await _recount(conn, held, change)
    return notices


async def _recount(conn: asyncpg.Connection, held: asyncpg.Record, change: EventChange) -> None:
    """A new capacity: places it frees go to the waitlist, earliest first."""
    before = Attendance(held["capacity"], held["going"], held["interested"], held["waitlisted"])
    after, promote = with_capacity(before, change.event.capacity)
    event = PlanEvent(
        event_id=change.event_id,
        version=change.version,
        status=change.event.status,
        visibility=held["visibility"],
        title=change.event.title,
        start_at=change.event.startAt,
        end_at=change.event.endAt,
        timezone=change.event.timezone,
        attendance=replace(before, capacity=change.event.capacity),
    )
    await store_attendance(conn, event, after, promote)
