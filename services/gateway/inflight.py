"""Marks an Idempotency-Key as in flight for the whole deployment, so a concurrent retry is
answered 409 (IETF idempotency-key draft) instead of racing the first request.

One statement both looks for the key's stored result and claims it, in autocommit: the claims
table is UNLOGGED, so the commit writes no WAL and waits for no flush.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.gateway.errors import Conflict
from services.gateway.repository import IdempotencyRecord

_LOOK_UP_OR_CLAIM = """
WITH prior AS (
    SELECT request_hash, event_id FROM idempotency_keys
    WHERE owner_account_id = $1 AND idempotency_key = $2
), claim AS (
    INSERT INTO idempotency_inflight AS f (owner_account_id, idempotency_key, expires_at)
    SELECT $1, $2, clock_timestamp() + make_interval(secs => $3)
    WHERE NOT EXISTS (SELECT 1 FROM prior)
    ON CONFLICT (owner_account_id, idempotency_key) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE f.expires_at < clock_timestamp()
    RETURNING 1
)
SELECT (SELECT request_hash FROM prior) AS request_hash,
       (SELECT event_id FROM prior) AS event_id,
       EXISTS (SELECT 1 FROM claim) AS claimed
"""

_RELEASE = "DELETE FROM idempotency_inflight WHERE owner_account_id = $1 AND idempotency_key = $2"

PRUNE = "DELETE FROM idempotency_inflight WHERE expires_at < clock_timestamp()"


@dataclass(frozen=True)
class Claim:
    """Either the key's stored result (`prior`) or the right to send it (`claimed`)."""

    prior: IdempotencyRecord | None
    claimed: bool


class InFlight:
    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float) -> None:
        self._pool = pool
        self._ttl = ttl_seconds  # past it, a crashed gateway's claim no longer blocks retries

    async def look_up_or_claim(self, owner_id: int, key: str) -> Claim:
        """The stored result if the key was used before; else a claim, or 409 if another
        request holds it now."""
        row = await self._pool.fetchrow(_LOOK_UP_OR_CLAIM, owner_id, key, self._ttl)
        if row["event_id"] is not None:
            return Claim(IdempotencyRecord(row["request_hash"], row["event_id"]), claimed=False)
        if not row["claimed"]:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry after "
                "the Retry-After delay to get its result.",
                code="idempotency_key_in_use",
                headers={"Retry-After": "1"},
            )
        return Claim(None, claimed=True)

    async def release(self, owner_id: int, key: str) -> None:
        await self._pool.execute(_RELEASE, owner_id, key)
