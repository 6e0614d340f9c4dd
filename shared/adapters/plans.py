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
from datetime import datetime

import asyncpg

from shared.adapters.inbox import Notice, deliver
from shared.domain.attendance import Attendance, RsvpStatus
from shared.domain.reminders import promoted_text, promotion_id

# The first plan for an event the notifier has not seen yet takes its state from the read
# model; the notifier's newer versions overwrite it, an older or equal one never does.
_SEED = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, capacity)
SELECT event_id, version, status, channel_id, title, start_at, end_at, timezone,
       (event->>'capacity')::integer
FROM discovery_events WHERE event_id = $1
ON CONFLICT (event_id) DO NOTHING
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

_PLANNERS = """
SELECT person_id FROM saves WHERE event_id = $1
UNION
SELECT person_id FROM rsvps WHERE event_id = $1 AND status IN ('going', 'interested', 'waitlisted')
"""


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
