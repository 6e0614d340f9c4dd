"""An owner's API keys, through the lifecycle the `pinned keys` CLI also uses
(`shared.adapters.key_store`): every change is recorded in the key's history in the same
transaction. Unknown keys raise key_store.KeyNotFound, impossible changes KeyStateConflict.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from shared.adapters import key_store
from shared.adapters.key_store import IssuedKey
from shared.domain.api_keys import KeyMode, Scope

Row = dict[str, Any]


class KeyStore:
    def __init__(self, pool: asyncpg.Pool, changed: Callable[[uuid.UUID], None]) -> None:
        """`changed` hears of every key this store changed, before the change is answered:
        the gateway's access cache must not serve the old record to the next request."""
        self._pool = pool
        self._changed = changed

    async def page(self, owner_id: int, limit: int, offset: int) -> tuple[list[Row], int]:
        async with self._pool.acquire() as conn:
            return await key_store.page(conn, owner_id, limit, offset)

    async def get(self, owner_id: int, key_id: uuid.UUID) -> Row:
        async with self._pool.acquire() as conn:
            return await key_store.get(conn, owner_id, key_id)

    async def history(self, owner_id: int, key_id: uuid.UUID) -> list[Row]:
        """Who created, disabled, enabled, rotated or revoked the key, oldest first."""
        async with self._pool.acquire() as conn:
            await key_store.get(conn, owner_id, key_id)
            return await key_store.lifecycle(conn, key_id)

    async def issue(
        self,
        owner_id: int,
        name: str,
        scopes: Sequence[Scope],
        *,
        actor: str,
        mode: KeyMode,
        expires_at: datetime | None,
    ) -> IssuedKey:
        async with self._pool.acquire() as conn:
            return await key_store.issue(
                conn, owner_id, name, scopes, actor=actor, mode=mode, expires_at=expires_at
            )

    async def disable(self, owner_id: int, key_id: uuid.UUID, actor: str) -> Row:
        async with self._pool.acquire() as conn:
            row = await key_store.disable(conn, owner_id, key_id, actor)
        self._changed(key_id)
        return row

    async def enable(self, owner_id: int, key_id: uuid.UUID, actor: str) -> Row:
        async with self._pool.acquire() as conn:
            row = await key_store.enable(conn, owner_id, key_id, actor)
        self._changed(key_id)
        return row

    async def revoke(self, owner_id: int, key_id: uuid.UUID, reason: str, actor: str) -> Row:
        async with self._pool.acquire() as conn:
            row = await key_store.revoke(conn, owner_id, key_id, reason, actor)
        self._changed(key_id)
        return row

    async def rotate(
        self, owner_id: int, key_id: uuid.UUID, overlap: timedelta, actor: str
    ) -> IssuedKey:
        async with self._pool.acquire() as conn:
            issued = await key_store.rotate(conn, owner_id, key_id, overlap, actor)
        self._changed(key_id)
        return issued
