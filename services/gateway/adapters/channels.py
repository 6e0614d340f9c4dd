"""An owner's channels and their publication settings, through the statements the `pinned
channels` CLI also uses (`shared.adapters.channels`): ChannelNotFound unless the owner's,
SlugTaken."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.adapters import channels
from shared.domain.channels import ChannelPublication


class ChannelStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def publish(
        self, owner_id: int, channel_id: int, change: ChannelPublication
    ) -> dict[str, Any]:
        async with self._pool.acquire() as conn:
            return await channels.publish(conn, owner_id, channel_id, change)

    async def owned_page(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        return await channels.owned_page(self._pool, owner_id, limit, offset)

    async def owned(self, owner_id: int, channel_id: int) -> dict[str, Any]:
        return await channels.owned(self._pool, owner_id, channel_id)

    async def of_account(self, account_id: int) -> list[dict[str, Any]]:
        """Owned and member channels, with their members and event counts."""
        return await channels.of_account(self._pool, account_id)
