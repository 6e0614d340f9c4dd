"""Friends: requests by e-mail, accepts, and whose plans a person may see.

A request is answered the same whether or not the address has an account, so nobody learns
who has one; the recipient sees it in their requests and inbox. A friend's plans (going or
interested) show only when both of them share their plans: sharing is off until a person
turns it on, and non-friends never see anyone's plans, only the public counts.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.web.errors import NotFound
from shared.adapters.inbox import Notice, deliver
from shared.domain.reminders import friend_notice_id

_TARGET = "SELECT id FROM people WHERE email_key = $1"
_ASKED = """
INSERT INTO friend_requests (id, from_person, to_person) SELECT $1, $2, $3
WHERE NOT EXISTS (SELECT 1 FROM friendships WHERE person_id = $2 AND friend_id = $3)
ON CONFLICT (from_person, to_person) DO NOTHING RETURNING created_at
"""
_BEFRIEND = """
INSERT INTO friendships (person_id, friend_id) VALUES ($1, $2), ($2, $1) ON CONFLICT DO NOTHING
"""
_CLEAR = """
DELETE FROM friend_requests WHERE (from_person, to_person) IN (($1, $2), ($2, $1))
"""
_INCOMING = """
SELECT r.id, r.created_at, p.id AS person_id, p.display_name FROM friend_requests r
JOIN people p ON p.id = r.from_person WHERE r.to_person = $1 ORDER BY r.created_at
"""
_FRIENDS = """
SELECT p.id, p.display_name, f.since FROM friendships f JOIN people p ON p.id = f.friend_id
WHERE f.person_id = $1 ORDER BY lower(p.display_name), p.id
"""
# Only friends, only those who share, only going or interested; the caller checks that the
# person asking shares too.
_AT_EVENT = """
SELECT p.id, p.display_name, r.status FROM friendships f
JOIN people p ON p.id = f.friend_id AND p.share_plans
JOIN rsvps r ON r.person_id = p.id AND r.event_id = $2 AND r.status IN ('going', 'interested')
WHERE f.person_id = $1 ORDER BY r.status, lower(p.display_name), p.id
"""


async def ask(conn: asyncpg.Connection, person_id: int, name: str, email_key: str) -> None:
    """Ask the owner of `email_key` to be friends; if they already asked, that accepts."""
    target = await conn.fetchval(_TARGET, email_key)
    if target is None or target == person_id:
        return
    reverse = await conn.fetchval(
        "SELECT id FROM friend_requests WHERE from_person = $1 AND to_person = $2",
        target,
        person_id,
    )
    if reverse is not None:
        await accept(conn, person_id, name, reverse)
        return
    created = await conn.fetchval(_ASKED, uuid.uuid4(), person_id, target)
    if created is not None:
        await deliver(conn, [_notice("friend_request", target, person_id, name, created)])


async def accept(conn: asyncpg.Connection, person_id: int, name: str, request: uuid.UUID) -> None:
    asker = await conn.fetchval(
        "SELECT from_person FROM friend_requests WHERE id = $1 AND to_person = $2",
        request,
        person_id,
    )
    if asker is None:
        raise NotFound("No friend request with that id was sent to you.")
    await conn.execute(_BEFRIEND, person_id, asker)
    await conn.execute(_CLEAR, person_id, asker)
    since = await conn.fetchval(
        "SELECT since FROM friendships WHERE person_id = $1 AND friend_id = $2", person_id, asker
    )
    await deliver(conn, [_notice("friend_accepted", asker, person_id, name, since)])


async def decline(conn: asyncpg.Connection, person_id: int, request: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "DELETE FROM friend_requests WHERE id = $1 AND to_person = $2 RETURNING true",
            request,
            person_id,
        )
    )


async def unfriend(conn: asyncpg.Connection, person_id: int, friend_id: int) -> bool:
    removed = await conn.fetch(
        "DELETE FROM friendships WHERE (person_id, friend_id) IN (($1, $2), ($2, $1))"
        " RETURNING true",
        person_id,
        friend_id,
    )
    return bool(removed)


async def incoming(pool: asyncpg.Pool, person_id: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(r["id"]),
            "from": {"id": r["person_id"], "displayName": r["display_name"]},
            "createdAt": r["created_at"].isoformat(),
        }
        for r in await pool.fetch(_INCOMING, person_id)
    ]


async def friends(pool: asyncpg.Pool, person_id: int) -> list[dict[str, Any]]:
    return [
        {"id": r["id"], "displayName": r["display_name"], "since": r["since"].isoformat()}
        for r in await pool.fetch(_FRIENDS, person_id)
    ]


async def at_event(pool: asyncpg.Pool, person_id: int, event_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {"id": r["id"], "displayName": r["display_name"], "status": r["status"]}
        for r in await pool.fetch(_AT_EVENT, person_id, event_id)
    ]


def _notice(kind: str, to: int, other: int, name: str, at: Any) -> Notice:
    asked = kind == "friend_request"
    return Notice(
        id=friend_notice_id("friend_request" if asked else "friend_accepted", to, other, at),
        person_id=to,
        kind="friend_request" if asked else "friend_accepted",
        event_id=None,
        title=f"{name} wants to be friends" if asked else f"{name} accepted your friend request",
        body=(
            "Accept to see each other's plans, when you both share them."
            if asked
            else f"You and {name} are friends now."
        ),
        data={"personId": other},
    )
