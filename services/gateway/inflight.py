"""Marks an Idempotency-Key as in flight for the whole deployment, so a concurrent retry is
answered 409 (IETF idempotency-key draft) instead of racing the first request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from services.gateway.errors import Conflict

_CLAIM = """
INSERT INTO idempotency_inflight AS f (owner_account_id, idempotency_key, expires_at)
VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
ON CONFLICT (owner_account_id, idempotency_key) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE f.expires_at < clock_timestamp()
RETURNING 1
"""

_RELEASE = "DELETE FROM idempotency_inflight WHERE owner_account_id = $1 AND idempotency_key = $2"

PRUNE = "DELETE FROM idempotency_inflight WHERE expires_at < clock_timestamp()"


class InFlight:
    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float) -> None:
        self._pool = pool
        self._ttl = ttl_seconds  # past it, a crashed gateway's claim no longer blocks retries

    @contextlib.asynccontextmanager
    async def holding(self, owner_id: int, key: str) -> AsyncIterator[None]:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            claimed = await conn.fetchval(_CLAIM, owner_id, key, self._ttl)
        if claimed is None:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry after "
                "the Retry-After delay to get its result.",
                code="idempotency_key_in_use",
                headers={"Retry-After": "1"},
            )
        try:
            yield
        finally:
            await self._pool.execute(_RELEASE, owner_id, key)
