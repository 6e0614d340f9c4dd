"""A person's reminder settings: defaults for every planned event, and per-event minutes.
Each change re-syncs the reminders it touches, inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.web.errors import NotFound
from shared.adapters.plans import known_event, sync_reminders

_OVERRIDES = """
SELECT event_id, minutes FROM reminder_overrides WHERE person_id = $1 ORDER BY event_id
"""
_PENDING = """
SELECT event_id, minutes_before, due_at, state FROM reminders
WHERE person_id = $1 AND state <> 'skipped' ORDER BY due_at LIMIT 200
"""


async def settings(pool: asyncpg.Pool, person_id: int, defaults: list[int]) -> dict[str, Any]:
    overrides = await pool.fetch(_OVERRIDES, person_id)
    scheduled = await pool.fetch(_PENDING, person_id)
    return {
        "minutesBefore": defaults,
        "events": [
            {"eventId": str(r["event_id"]), "minutesBefore": list(r["minutes"])} for r in overrides
        ],
        "scheduled": [
            {
                "eventId": str(r["event_id"]),
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
            raise NotFound("No published event with that id.")
        await conn.execute(
            "INSERT INTO reminder_overrides (person_id, event_id, minutes) VALUES ($1, $2, $3)"
            " ON CONFLICT (person_id, event_id) DO UPDATE SET minutes = EXCLUDED.minutes",
            person_id,
            event_id,
            minutes,
        )
    await sync_reminders(conn, person_id, event_id)
