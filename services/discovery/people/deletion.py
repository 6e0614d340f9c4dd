"""Deleting an account: everything about the person goes, one audit row stays.

Places the person held go to the waitlist first (each event locked in id order, as every
other writer of attendance locks them), then the person's row goes, and with it (ON DELETE
CASCADE) sessions, follows, saves, RSVPs, reminders, the inbox and friendships.
"""

from __future__ import annotations

import asyncpg

from services.discovery.planning.rsvp import respond

_COUNTS = """
SELECT (SELECT count(*) FROM saves WHERE person_id = $1) AS saves,
       (SELECT count(*) FROM rsvps WHERE person_id = $1) AS rsvps,
       (SELECT count(*) FROM follows WHERE person_id = $1) AS follows,
       (SELECT count(*) FROM notifications WHERE person_id = $1) AS notifications,
       (SELECT count(*) FROM friendships WHERE person_id = $1) AS friends
"""


async def delete_account(conn: asyncpg.Connection, person_id: int, request_id: str | None) -> None:
    """Inside the caller's transaction."""
    removed = dict(await conn.fetchrow(_COUNTS, person_id))
    events = await conn.fetch(
        "SELECT event_id FROM rsvps WHERE person_id = $1 ORDER BY event_id", person_id
    )
    for row in events:
        await respond(conn, person_id, row["event_id"], None)
    await conn.execute("DELETE FROM people_audit WHERE person_id = $1", person_id)
    await conn.execute("DELETE FROM people WHERE id = $1", person_id)
    await conn.execute(
        "INSERT INTO people_audit (person_id, action, request_id, detail)"
        " VALUES ($1, 'account_deleted', $2, $3::jsonb)",
        person_id,
        request_id,
        {"removed": removed},  # the pool's jsonb codec encodes it
    )
