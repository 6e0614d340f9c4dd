"""What a change means to the people who planned an event or an occurrence: a notice when
it moves, is cancelled or is taken back to draft, their reminders moved with it, and the
waitlist promoted when its capacity grows. Runs while the caller holds the planning row."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from shared.adapters.inbox import Notice, deliver
from shared.adapters.plans import PlanEvent, PlanState, planners, store_attendance, sync_reminders
from shared.domain.attendance import Attendance, with_capacity
from shared.domain.reminders import (
    NoticeKind,
    cancelled_text,
    change_notice_id,
    moved_text,
    unpublished_text,
)

_TEXTS = {
    "event_cancelled": cancelled_text,
    "event_moved": moved_text,
    "event_unpublished": unpublished_text,
}


async def transition(
    conn: asyncpg.Connection,
    held: asyncpg.Record,
    key: uuid.UUID,
    state: PlanState,
    version: int,
    now: datetime,
) -> list[Notice]:
    """`held`: the planning row before the change; `key`: where its plans are now."""
    moved = held["start_at"] != state.start_at and state.status == "published"
    cancelled = state.status == "cancelled" and held["status"] != "cancelled"
    # Taken back to draft: gone from every list and page, so the people planning it are told.
    unpublished = state.status == "draft" and held["status"] == "published"
    # A series change rewrites its past occurrences too; nobody needs telling about those.
    past = state.series_id is not None and max(held["start_at"], state.start_at) <= now
    notices: list[Notice] = []
    if (moved or cancelled or unpublished) and not past:
        kind: NoticeKind = "event_moved"
        if cancelled or unpublished:
            kind = "event_cancelled" if cancelled else "event_unpublished"
        notices = await _tell(conn, held, key, state, version, kind)
    if moved or held["status"] != state.status:
        await sync_reminders(conn, None, key)
    if held["capacity"] != state.capacity:
        await _recount(conn, held, key, state)
    return notices


async def _tell(
    conn: asyncpg.Connection,
    held: asyncpg.Record,
    key: uuid.UUID,
    state: PlanState,
    version: int,
    kind: NoticeKind,
) -> list[Notice]:
    text = _TEXTS[kind]
    title, body = text(state.title, state.start_at, state.timezone)
    data: dict[str, object] = {
        "eventId": str(key),
        "startAt": state.start_at.isoformat(),
        # In the zone the event was in, as startAt is in the event's zone now.
        "previousStartAt": held["start_at"].astimezone(ZoneInfo(held["timezone"])).isoformat(),
        "version": version,
    }
    if state.occurrence_id is not None:
        data |= {"occurrenceId": state.occurrence_id, "seriesId": str(state.series_id)}
    notices = [
        Notice(
            id=change_notice_id(person, key, version, kind),
            person_id=person,
            kind=kind,
            event_id=key,
            title=title,
            body=body,
            data=data,
        )
        for person in await planners(conn, key)
    ]
    await deliver(conn, notices)
    return notices


async def _recount(
    conn: asyncpg.Connection, held: asyncpg.Record, key: uuid.UUID, state: PlanState
) -> None:
    """A new capacity: places it frees go to the waitlist, earliest first."""
    before = Attendance(held["capacity"], held["going"], held["interested"], held["waitlisted"])
    after, promote = with_capacity(before, state.capacity)
    event = PlanEvent(
        event_id=key,
        version=state.version,
        status=state.status,
        visibility=held["visibility"],
        title=state.title,
        start_at=state.start_at,
        end_at=state.end_at,
        timezone=state.timezone,
        attendance=Attendance(state.capacity, before.going, before.interested, before.waitlisted),
    )
    await store_attendance(conn, event, after, promote)
