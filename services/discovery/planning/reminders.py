"""A person's reminder settings: defaults for every planned event, and per-event minutes.
Each change re-syncs the reminders it touches, inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.planning.rsvp import unknown_event
from shared.adapters.plans import PUBLIC_ID, known_event, sync_reminders

_OVERRIDES = f"""
SELECT {PUBLIC_ID} AS public_id, r.minutes FROM reminder_overrides r
LEFT JOIN plan_events e ON e.event_id = r.event_id
WHERE r.person_id = $1 ORDER BY r.event_id
"""  # noqa: S608  (a constant fragment)
_PENDING = f"""
SELECT {PUBLIC_ID} AS public_id, r.minutes_before, r.due_at, r.state FROM reminders r
LEFT JOIN plan_events e ON e.event_id = r.event_id
WHERE r.person_id = $1 AND r.state <> 'skipped' ORDER BY r.due_at LIMIT 200
"""  # noqa: S608  (a constant fragment)


async def settings(pool: asyncpg.Pool, person_id: int, defaults: list[int]) -> dict[str, Any]:
    overrides = await pool.fetch(_OVERRIDES, person_id)
    scheduled = await pool.fetch(_PENDING, person_id)
    return {
        "minutesBefore": defaults,
        "events": [
            {"eventId": r["public_id"], "minutesBefore": list(r["minutes"])} for r in overrides
        ],
        "scheduled": [
            {
                "eventId": r["public_id"],
                "minutesBefore": r["minutes_before"],
                "dueAt": r["due_at"].isoformat(),
                "state": r["state"],
            }
            for r in scheduled
        ],
    }


async def set_defaults(conn: asyncpg.Connection, person_id: int, minutes: list[int]) -> None:
    await conn.execute("UPDATE people SET reminder_minutes = $2 WHERE id = $1", person_id, minutes)
    await sync_reminders(conn, person_id, None)


async def set_for_event(
    conn: asyncpg.Connection, person_id: int, event_id: uuid.UUID, minutes: list[int] | None
) -> None:
    """Minutes for one event (None: back to the defaults)."""
    if minutes is None:
        await conn.execute(
            "DELETE FROM reminder_overrides WHERE person_id = $1 AND event_id = $2",
            person_id,
            event_id,
        )
    else:
        if await known_event(conn, event_id) is None:
            raise await unknown_event(conn, event_id)
        await conn.execute(
            "INSERT INTO reminder_overrides (person_id, event_id, minutes) VALUES ($1, $2, $3)"
            " ON CONFLICT (person_id, event_id) DO UPDATE SET minutes = EXCLUDED.minutes",
            person_id,
            event_id,
            minutes,
        )
    await sync_reminders(conn, person_id, event_id)
