"""Channels in PostgreSQL: an account's channels with their members, for the owner (the
portal) and operators (`pinned channels list`); the channels an owner manages (developer
API); publication settings (visibility and slug), changed by the owner (developer API,
portal) or an operator (`pinned channels visibility`)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import asyncpg

from shared.domain.channels import ChannelPublication


class ChannelNotFound(LookupError):
    """No channel with that id is owned by the account that asked."""


class SlugTaken(ValueError):
    """Another channel already has the slug, or had it until recently (its old links still
    lead there: see FORMER_SLUG_RESERVED); slugs are unique across all channels."""


# How long a slug a channel gave up stays its, for the links and feed subscriptions made with
# it: another channel taking it sooner would take over the first one's subscribers.
FORMER_SLUG_RESERVED = timedelta(days=90)

_RESERVED_UNTIL = """
SELECT retired_at + $3::interval FROM channel_former_slugs
WHERE slug = $1 AND channel_id <> $2 AND retired_at + $3::interval > now()
"""


_PUBLISH = """
UPDATE channels SET visibility = COALESCE($3, visibility), slug = COALESCE($4, slug)
WHERE id = $1 AND ($2::bigint IS NULL OR owner_account_id = $2)
RETURNING id, name, slug, visibility, owner_account_id, created_at
"""


async def publish(
    conn: asyncpg.Connection, owner_id: int | None, channel_id: int, change: ChannelPublication
) -> dict[str, Any]:
    """Apply `change` to a channel of `owner_id` (any owner's when None, for operators).
    Raises ChannelNotFound, or SlugTaken for another channel's slug, current or recent."""
    if change.slug is not None:
        until = await conn.fetchval(_RESERVED_UNTIL, change.slug, channel_id, FORMER_SLUG_RESERVED)
        if until is not None:
            raise SlugTaken(
                f"the slug '{change.slug}' was another channel's until recently and its links "
                f"and feed subscriptions still lead there; it is free from {until:%Y-%m-%d}"
            )
    try:
        row = await conn.fetchrow(_PUBLISH, channel_id, owner_id, change.visibility, change.slug)
    except asyncpg.UniqueViolationError:
        raise SlugTaken(f"the slug '{change.slug}' is taken by another channel") from None
    if row is None:
        raise ChannelNotFound(f"no channel {channel_id} owned by this account")
    return dict(row)


_OWNED_COLUMNS = "id, name, slug, visibility, owner_account_id, created_at"


async def owned_page(
    conn: asyncpg.Connection | asyncpg.Pool, owner_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the channels `owner_id` owns (those it manages; not those it is a member
    of), oldest first, and how many it owns."""
    rows = await conn.fetch(
        f"SELECT {_OWNED_COLUMNS}, count(*) OVER () AS total FROM channels"  # noqa: S608
        " WHERE owner_account_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
        owner_id,
        limit,
        offset,
    )
    if rows:
        return [dict(row) for row in rows], int(rows[0]["total"])
    total = await conn.fetchval(
        "SELECT count(*) FROM channels WHERE owner_account_id = $1", owner_id
    )
    return [], int(total)


async def owned(
    conn: asyncpg.Connection | asyncpg.Pool, owner_id: int, channel_id: int
) -> dict[str, Any]:
    """One channel `owner_id` owns; ChannelNotFound for any other."""
    row = await conn.fetchrow(
        f"SELECT {_OWNED_COLUMNS} FROM channels WHERE id = $1 AND owner_account_id = $2",  # noqa: S608
        channel_id,
        owner_id,
    )
    if row is None:
        raise ChannelNotFound(f"no channel {channel_id} owned by this account")
    return dict(row)


_OF_ACCOUNT = """
SELECT c.id, c.name, c.owner_account_id, c.created_at, c.visibility, c.slug,
       CASE WHEN c.owner_account_id = $1 THEN 'owner' ELSE 'member' END AS role,
       (SELECT count(*) FROM events e WHERE e.channel_id = c.id) AS events,
       coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', a.id, 'name', a.name)
                                  ORDER BY a.id)
                 FROM channel_members m JOIN accounts a ON a.id = m.account_id
                 WHERE m.channel_id = c.id), '[]')::text AS members
FROM channels c
WHERE c.owner_account_id = $1
   OR EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.account_id = $1)
ORDER BY c.id
"""


async def of_account(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: int
) -> list[dict[str, Any]]:
    """The channels `account_id` owns or is a member of, with their members and event
    counts; a member sees the owner's other members too (they publish side by side)."""
    rows = await conn.fetch(_OF_ACCOUNT, account_id)
    return [{**dict(r), "members": json.loads(r["members"])} for r in rows]
