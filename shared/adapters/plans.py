"""What people plan around events, in PostgreSQL: each event's attendance row, RSVPs with
the waitlist, and the reminders that follow each planned event's start.

Shared by the discovery service (people's answers) and the notifier (events that move, are
cancelled or change capacity). Both change an event's attendance only while holding its
`plan_events` row (`FOR UPDATE`), so capacity and promotions are decided one at a time per
event, whatever the number of replicas or concurrent requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from shared.adapters.inbox import Notice, deliver
from shared.contracts.event_view import EventView
from shared.domain.attendance import Attendance, RsvpStatus
from shared.domain.occurrences import occurrence_on_day, planned_status
from shared.domain.recurrence import occurrence_id
from shared.domain.reminders import promoted_text, promotion_id

# The first plan for an event the notifier has not seen yet takes its state from the read
# model; the notifier's newer versions overwrite it, an older or equal one never does.
_SEED = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, capacity, series_id, recurrence_id)
SELECT event_id, version, status, channel_id, title, start_at, end_at, timezone,
       (event->>'capacity')::integer,
       CASE WHEN recurrence_id IS NOT NULL THEN series_id END, recurrence_id
FROM discovery_events WHERE event_id = $1
ON CONFLICT (event_id) DO NOTHING
"""

# An occurrence's row seeded from a read model behind the notifier: the notifier's newer
# state of its series ($1 the occurrence key).
_NEWER_SERIES = """
SELECT s.version, s.event, p.start_at, p.end_at, p.timezone, p.recurrence_id FROM plan_events p
JOIN plan_series s ON s.event_id = p.series_id
WHERE p.event_id = $1 AND s.version > p.version
"""

_STATE = """
UPDATE plan_events SET version = $2, status = $3, channel_id = $4, title = $5, start_at = $6,
    end_at = $7, timezone = $8, recurrence_id = $9, series_id = $10, updated_at = now()
WHERE event_id = $1
"""

_EVENT = """
SELECT p.*, c.visibility FROM plan_events p JOIN channels c ON c.id = p.channel_id
WHERE p.event_id = $1
"""

_COUNTS = """
UPDATE plan_events SET going = $2, interested = $3, waitlisted = $4, capacity = $5,
    updated_at = now()
WHERE event_id = $1
"""

_PROMOTE = """
UPDATE rsvps r SET status = 'going', waitlist_seq = NULL, responded_at = now()
FROM (SELECT person_id, waitlist_seq FROM rsvps
      WHERE event_id = $1 AND status = 'waitlisted' ORDER BY waitlist_seq LIMIT $2) AS first
WHERE r.event_id = $1 AND r.person_id = first.person_id
RETURNING r.person_id, first.waitlist_seq
"""

# Reminders of every planned (saved, or RSVPed going / interested / waitlisted) pair that
# matches $1 (a person) and $2 (an event), NULL matching any: the person's per-event minutes,
# else their defaults, before the event's start. A reminder whose instant moved is re-armed
# (pending if still ahead, else skipped); one no longer wanted goes unless it was sent.
_SYNC = """
WITH planned AS (
    SELECT person_id, event_id FROM saves
    WHERE ($1::bigint IS NULL OR person_id = $1) AND ($2::uuid IS NULL OR event_id = $2)
    UNION
    SELECT person_id, event_id FROM rsvps
    WHERE status IN ('going', 'interested', 'waitlisted')
      AND ($1::bigint IS NULL OR person_id = $1) AND ($2::uuid IS NULL OR event_id = $2)
), wanted AS (
    SELECT pl.person_id, pl.event_id, m.minutes AS minutes_before,
           e.start_at - make_interval(mins => m.minutes) AS due_at
    FROM planned pl
    JOIN plan_events e ON e.event_id = pl.event_id AND e.status = 'published'
    JOIN people p ON p.id = pl.person_id
    LEFT JOIN reminder_overrides o ON o.person_id = pl.person_id AND o.event_id = pl.event_id
    CROSS JOIN LATERAL unnest(coalesce(o.minutes, p.reminder_minutes)) AS m(minutes)
), dropped AS (
    DELETE FROM reminders r
    WHERE ($1::bigint IS NULL OR r.person_id = $1) AND ($2::uuid IS NULL OR r.event_id = $2)
      AND r.state <> 'sent'
      AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.person_id = r.person_id
                      AND w.event_id = r.event_id AND w.minutes_before = r.minutes_before)
)
INSERT INTO reminders (person_id, event_id, minutes_before, due_at, state)
SELECT person_id, event_id, minutes_before, due_at,
       CASE WHEN due_at > now() THEN 'pending' ELSE 'skipped' END
FROM wanted ORDER BY person_id, event_id, minutes_before
ON CONFLICT (person_id, event_id, minutes_before) DO UPDATE
    SET due_at = EXCLUDED.due_at, state = EXCLUDED.state, sent_at = NULL
    WHERE reminders.due_at IS DISTINCT FROM EXCLUDED.due_at
"""

# The public id of the occurrence a planning row `e` is about: <event id>_<local date of its
# original start>.
OCCURRENCE_ID = (
    "e.series_id::text || '_' || to_char(e.recurrence_id AT TIME ZONE e.timezone, 'YYYY-MM-DD')"
)

# The public id of what a planning row `e` (LEFT JOINed to `r`, which has the key) is about:
# the event's id, or an occurrence's.
PUBLIC_ID = f"CASE WHEN e.series_id IS NULL THEN r.event_id::text ELSE {OCCURRENCE_ID} END"

_PLANNERS = """
SELECT person_id FROM saves WHERE event_id = $1
UNION
SELECT person_id FROM rsvps WHERE event_id = $1 AND status IN ('going', 'interested', 'waitlisted')
"""


@dataclass(frozen=True)
class Held:
    """What a planning row holds of where its event or occurrence is."""

    start_at: datetime
    end_at: datetime | None
    timezone: str
    recurrence_id: datetime | None

    def day(self) -> date:
        """The local date naming the occurrence (an original start's, or a single event's)."""
        return (self.recurrence_id or self.start_at).astimezone(ZoneInfo(self.timezone)).date()


def held_of(row: asyncpg.Record) -> Held:
    return Held(row["start_at"], row["end_at"], row["timezone"], row["recurrence_id"])


def public_event_id(key: uuid.UUID, series_id: uuid.UUID | None, held: Held) -> str:
    """The id people use for what the planning row `key` holds (the people API's {eventId},
    the event page's path): an occurrence's `<series id>_<date>` (the date naming it,
    `held.day()`, from which `key` was derived), else the event's own id. `key` itself is an
    occurrence's derived uuid (occurrence_key), which no route knows."""
    if series_id is None:
        return str(key)
    return occurrence_id(series_id, held.day())


@dataclass(frozen=True)
class PlanState:
    """An event's or an occurrence's state as planning keeps it."""

    version: int
    status: str
    channel_id: int
    title: str
    start_at: datetime
    end_at: datetime | None
    timezone: str
    capacity: int | None
    series_id: uuid.UUID | None = None  # an occurrence's series
    recurrence_id: datetime | None = None  # an occurrence's original start
    occurrence_id: str | None = None  # an occurrence's public id


def event_state(event: EventView, version: int) -> PlanState:
    """A single event's state."""
    return PlanState(
        version, event.status, event.channelId, event.title, event.startAt, event.endAt,
        event.timezone, event.capacity,
    )  # fmt: skip


def occurrence_state(event: EventView, version: int, held: Held) -> PlanState:
    """The state of the recurring event's occurrence a planning row `held` names (by the
    local date of its original start): cancelled, at its held times, when it no longer
    takes place (cancelled on its own, or the series has no occurrence that day any more)."""
    day = held.day()
    occurrence = occurrence_on_day(event, event.occurrenceOverrides, day)
    status = planned_status(event.status, occurrence)
    start, end, original = held.start_at, held.end_at, held.recurrence_id
    if occurrence is not None:
        start, end, original = occurrence.start, occurrence.end, occurrence.recurrence_id
    return PlanState(
        version, status, event.channelId, event.title, start, end, event.timezone,
        event.capacity, series_id=event.id, recurrence_id=original,
        occurrence_id=occurrence_id(event.id, day),
    )  # fmt: skip


async def store_state(conn: asyncpg.Connection, key: uuid.UUID, state: PlanState) -> None:
    """Write `state` to the planning row `key` (locked by the caller, or just seeded)."""
    await conn.execute(
        _STATE, key, state.version, state.status, state.channel_id, state.title,
        state.start_at, state.end_at, state.timezone, state.recurrence_id, state.series_id,
    )  # fmt: skip


@dataclass(frozen=True)
class PlanEvent:
    """An event's state as planning holds it, with its attendance."""

    event_id: uuid.UUID
    version: int
    status: str
    visibility: str
    title: str
    start_at: datetime
    end_at: datetime | None
    timezone: str
    attendance: Attendance


async def lock_event(conn: asyncpg.Connection, event_id: uuid.UUID) -> PlanEvent | None:
    """The event's planning row, locked until the caller's transaction ends (seeded from the
    read model first if planning has not seen it); None when no such event is known."""
    return await known_event(conn, event_id, lock=True)


async def known_event(
    conn: asyncpg.Connection, event_id: uuid.UUID, lock: bool = False
) -> PlanEvent | None:
    """The event's planning row (seeded from the read model if new to planning), or None."""
    await conn.execute(_SEED, event_id)
    newer = await conn.fetchrow(_NEWER_SERIES, event_id)
    if newer is not None:
        view = EventView.model_validate(newer["event"])
        state = occurrence_state(view, newer["version"], held_of(newer))
        await store_state(conn, event_id, state)
    row = await conn.fetchrow(_EVENT + (" FOR UPDATE OF p" if lock else ""), event_id)
    if row is None:
        return None
    return PlanEvent(
        event_id=row["event_id"],
        version=row["version"],
        status=row["status"],
        visibility=row["visibility"],
        title=row["title"],
        start_at=row["start_at"],
        end_at=row["end_at"],
        timezone=row["timezone"],
        attendance=Attendance(row["capacity"], row["going"], row["interested"], row["waitlisted"]),
    )


async def store_attendance(
    conn: asyncpg.Connection, event: PlanEvent, after: Attendance, promote: int
) -> list[int]:
    """Promote the `promote` earliest waitlisted people of a locked event, tell each of them,
    and store its counts; returns who was promoted."""
    promoted = await conn.fetch(_PROMOTE, event.event_id, promote) if promote else []
    await conn.execute(
        _COUNTS, event.event_id, after.going, after.interested, after.waitlisted, after.capacity
    )
    notices = []
    for row in promoted:
        title, body = promoted_text(event.title, event.start_at, event.timezone)
        notices.append(
            Notice(
                id=promotion_id(row["person_id"], event.event_id, row["waitlist_seq"]),
                person_id=row["person_id"],
                kind="waitlist_promoted",
                event_id=event.event_id,
                title=title,
                body=body,
                data={"eventId": str(event.event_id), "status": "going"},
            )
        )
    await deliver(conn, notices)  # a waitlisted person already has the event's reminders
    return [row["person_id"] for row in promoted]


async def sync_reminders(
    conn: asyncpg.Connection, person_id: int | None, event_id: uuid.UUID | None
) -> None:
    """Bring the reminders of the matching plans in line with their events and settings."""
    await conn.execute(_SYNC, person_id, event_id)


async def planners(conn: asyncpg.Connection, event_id: uuid.UUID) -> list[int]:
    """Everyone who saved the event or RSVPed going, interested or waitlisted."""
    return [row["person_id"] for row in await conn.fetch(_PLANNERS, event_id)]


async def current_rsvp(
    conn: asyncpg.Connection, person_id: int, event_id: uuid.UUID
) -> RsvpStatus | None:
    status: RsvpStatus | None = await conn.fetchval(
        "SELECT status FROM rsvps WHERE person_id = $1 AND event_id = $2", person_id, event_id
    )
    return status


_MOVES = (
    "UPDATE plan_events SET event_id = $2 WHERE event_id = $1",
    "UPDATE saves SET event_id = $2 WHERE event_id = $1",
    "UPDATE rsvps SET event_id = $2 WHERE event_id = $1",
    "UPDATE reminder_overrides SET event_id = $2 WHERE event_id = $1",
    "UPDATE reminders SET event_id = $2 WHERE event_id = $1",
)


async def move_plans(conn: asyncpg.Connection, old: uuid.UUID, new: uuid.UUID) -> bool:
    """Carry every plan of `old` (a locked planning row) over to `new`, when an event turned
    recurring (or single) and what people planned is now the occurrence `new`; False, and
    nothing moved, when `new` has plans of its own already."""
    if await conn.fetchval("SELECT true FROM plan_events WHERE event_id = $1", new):
        return False
    for statement in _MOVES:
        await conn.execute(statement, old, new)
    return True
