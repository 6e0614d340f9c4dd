"""What an event page shows of planning: the public counts, and for a signed-in person their
RSVP, whether they saved it, their waitlist place and which friends (who share) are going."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.people.store import Person
from services.discovery.planning import friends
from services.discovery.planning.rsvp import attendance_view
from shared.domain.attendance import Attendance

_ATTENDANCE = """
SELECT coalesce(p.capacity, (d.event->>'capacity')::integer) AS capacity,
       coalesce(p.going, 0) AS going, coalesce(p.interested, 0) AS interested,
       coalesce(p.waitlisted, 0) AS waitlisted
FROM discovery_events d JOIN channels c ON c.id = d.channel_id
LEFT JOIN plan_events p ON p.event_id = d.event_id
WHERE d.event_id = $1 AND d.status <> 'draft' AND c.visibility IN ('public', 'unlisted')
"""

_MINE = """
SELECT r.status,
       (SELECT count(*) FROM rsvps w WHERE w.event_id = $2 AND w.status = 'waitlisted'
          AND w.waitlist_seq <= r.waitlist_seq) AS position,
       EXISTS (SELECT 1 FROM saves s WHERE s.person_id = $1 AND s.event_id = $2) AS saved
FROM (SELECT 1) one
LEFT JOIN rsvps r ON r.person_id = $1 AND r.event_id = $2
"""


async def public_attendance(pool: asyncpg.Pool, event_id: uuid.UUID) -> dict[str, Any] | None:
    """Counts of a visible event (None when it is not visible): never who."""
    row = await pool.fetchrow(_ATTENDANCE, event_id)
    if row is None:
        return None
    counts = Attendance(row["capacity"], row["going"], row["interested"], row["waitlisted"])
    return attendance_view(counts)


async def my_plan(pool: asyncpg.Pool, person: Person, event_id: uuid.UUID) -> dict[str, Any]:
    row = await pool.fetchrow(_MINE, person.id, event_id)
    shares = person.share_plans
    return {
        "rsvp": row["status"],
        "position": row["position"] if row["status"] == "waitlisted" else None,
        "saved": row["saved"],
        "shares": shares,
        "friends": await friends.at_event(pool, person.id, event_id) if shares else [],
    }
