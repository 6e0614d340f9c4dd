"""A person's RSVP and their saves: the rules around shared/adapters/plans.py.

Each answer runs in one transaction that holds the event's planning row, so concurrent
answers to one event are decided one after another: nobody goes past the capacity, and a
freed place promotes the earliest waitlisted person exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.discovery.web.errors import Conflict, NotFound, PublicError
from shared.adapters.plans import (
    PlanEvent,
    current_rsvp,
    known_event,
    lock_event,
    store_attendance,
    sync_reminders,
)
from shared.domain.attendance import Answer, Attendance, RsvpStatus, decide
from shared.domain.channels import LINKABLE

_WRITE = """
INSERT INTO rsvps (person_id, event_id, status, waitlist_seq)
VALUES ($1, $2, $3, CASE WHEN $3 = 'waitlisted' THEN nextval('rsvp_waitlist_order') END)
ON CONFLICT (person_id, event_id) DO UPDATE
    SET status = EXCLUDED.status, waitlist_seq = EXCLUDED.waitlist_seq, responded_at = now()
"""

# A recurring event's own id: plans attach to its occurrences.
_RECURS = """
SELECT true FROM discovery_events WHERE series_id = $1 AND recurrence_id IS NOT NULL LIMIT 1
"""

_POSITION = """
SELECT count(*) FROM rsvps w JOIN rsvps me ON me.event_id = w.event_id
WHERE me.person_id = $1 AND me.event_id = $2 AND me.status = 'waitlisted'
  AND w.status = 'waitlisted' AND w.waitlist_seq <= me.waitlist_seq
"""


@dataclass(frozen=True)
class RsvpResult:
    status: RsvpStatus | None
    waitlist_position: int | None
    attendance: Attendance | None  # None: the event is no longer public (its counts are not)

    def view(self, event_id: str) -> dict[str, Any]:
        return {
            "eventId": event_id,
            "status": self.status,
            "waitlistPosition": self.waitlist_position,
            "attendance": (
                attendance_view(self.attendance) if self.attendance is not None else None
            ),
        }


def attendance_view(attendance: Attendance) -> dict[str, int | None]:
    return {
        "going": attendance.going,
        "interested": attendance.interested,
        "waitlisted": attendance.waitlisted,
        "capacity": attendance.capacity,
        "placesLeft": attendance.free_places(),
    }


async def respond(
    conn: asyncpg.Connection, person_id: int, event_id: uuid.UUID, answer: Answer | None
) -> RsvpResult:
    """Store `answer` (None withdraws the RSVP) inside the caller's transaction."""
    event = await lock_event(conn, event_id)
    if answer is not None:
        await _answerable(conn, event_id, event)
    elif event is None:
        raise NotFound("No RSVP of yours for that event.")
    assert event is not None
    current = await current_rsvp(conn, person_id, event_id)
    decision = decide(current, answer, event.attendance)
    if decision.stored is None:
        await conn.execute(
            "DELETE FROM rsvps WHERE person_id = $1 AND event_id = $2", person_id, event_id
        )
    elif not decision.keeps_waitlist_place:
        await conn.execute(_WRITE, person_id, event_id, decision.stored)
    await store_attendance(conn, event, decision.attendance, decision.promote)
    await sync_reminders(conn, person_id, event_id)
    status = await current_rsvp(conn, person_id, event_id)  # promotions may include this one
    position = (
        await conn.fetchval(_POSITION, person_id, event_id) if status == "waitlisted" else None
    )
    # Withdrawing stays possible once a channel turns private; its counts are no one's business.
    shown = decision.attendance if _public(event) else None
    return RsvpResult(status, position, shown)


async def save(conn: asyncpg.Connection, person_id: int, event_id: uuid.UUID) -> None:
    event = await known_event(conn, event_id)
    if not _public(event):
        raise await unknown_event(conn, event_id)
    await conn.execute(
        "INSERT INTO saves (person_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        person_id,
        event_id,
    )
    await sync_reminders(conn, person_id, event_id)


async def unsave(conn: asyncpg.Connection, person_id: int, event_id: uuid.UUID) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM saves WHERE person_id = $1 AND event_id = $2 RETURNING true",
        person_id,
        event_id,
    )
    await sync_reminders(conn, person_id, event_id)
    return bool(deleted)


def _public(event: PlanEvent | None) -> bool:
    return event is not None and event.visibility in LINKABLE and event.status != "draft"


async def unknown_event(
    conn: asyncpg.Connection | asyncpg.Pool, event_id: uuid.UUID
) -> PublicError:
    """Why `event_id` cannot be planned: a recurring event's own id (409 occurrence_required:
    plan an occurrence), else no such public event (404)."""
    if await conn.fetchval(_RECURS, event_id):
        return Conflict(
            "occurrence_required",
            "That event repeats: plan one of its occurrences, by the occurrence's id "
            "(<event id>_<YYYY-MM-DD>, as the event's page and the discovery API give it).",
        )
    return NotFound("No published event with that id in a public or unlisted channel.")


async def _answerable(
    conn: asyncpg.Connection, event_id: uuid.UUID, event: PlanEvent | None
) -> None:
    if not _public(event):
        raise await unknown_event(conn, event_id)
    assert event is not None
    if event.status == "cancelled":
        raise Conflict("event_cancelled", "The event is cancelled; it takes no more RSVPs.")
    if event.start_at <= datetime.now(UTC):
        raise Conflict("event_started", "The event has started; it takes no more RSVPs.")
