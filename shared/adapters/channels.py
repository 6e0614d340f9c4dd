"""Channel publication settings in PostgreSQL: visibility and slug, changed by the owner
(developer API) or an operator (`pinned channels visibility`)."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.domain.channels import ChannelPublication


class ChannelNotFound(LookupError):
    """No channel with that id is owned by the account that asked."""


class SlugTaken(ValueError):
    """Another channel already has the slug; slugs are unique across all channels."""


_PUBLISH = """
UPDATE channels SET visibility = COALESCE($3, visibility), slug = COALESCE($4, slug)
WHERE id = $1 AND ($2::bigint IS NULL OR owner_account_id = $2)
RETURNING id, name, slug, visibility, owner_account_id, created_at
"""


async def publish(
    conn: asyncpg.Connection, owner_id: int | None, channel_id: int, change: ChannelPublication
) -> dict[str, Any]:
    """Apply `change` to a channel of `owner_id` (any owner's when None, for operators)."""
    try:
        row = await conn.fetchrow(_PUBLISH, channel_id, owner_id, change.visibility, change.slug)
    except asyncpg.UniqueViolationError:
        raise SlugTaken(f"the slug '{change.slug}' is taken by another channel") from None
    if row is None:
        raise ChannelNotFound(f"no channel {channel_id} owned by this account")
    return dict(row)
