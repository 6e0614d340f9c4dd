"""Marks an Idempotency-Key as in flight for the whole deployment, so a concurrent retry is
answered 409 (IETF idempotency-key draft) instead of racing the first request.

One statement both looks for the key's stored result and claims it; concurrent requests share
one such statement, and one release (`coalesce`). Both run in autocommit: the claims table
is UNLOGGED, so a commit writes no WAL and waits for no flush.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from services.gateway.adapters.coalesce import Coalescer
from services.gateway.adapters.events import IdempotencyRecord
from services.gateway.errors import IdempotencyKeyInUse
from shared.adapters.postgres import PoolExhausted

log = structlog.get_logger(__name__)

_LOOK_UP_OR_CLAIM = """
WITH wanted AS (
    SELECT * FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS w(owner, key, n)
), prior AS (
    SELECT w.n, k.request_hash, k.event_id
    FROM wanted w JOIN idempotency_keys k
        ON k.owner_account_id = w.owner AND k.idempotency_key = w.key
), claimed AS (
    INSERT INTO idempotency_inflight AS f (owner_account_id, idempotency_key, expires_at)
    SELECT w.owner, w.key, clock_timestamp() + make_interval(secs => $3)
    FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.n = w.n)
    ON CONFLICT (owner_account_id, idempotency_key) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE f.expires_at < clock_timestamp()
    RETURNING owner_account_id, idempotency_key
)
SELECT p.request_hash, p.event_id, c.idempotency_key IS NOT NULL AS claimed
FROM wanted w
LEFT JOIN prior p ON p.n = w.n
LEFT JOIN claimed c ON c.owner_account_id = w.owner AND c.idempotency_key = w.key
ORDER BY w.n
"""

_RELEASE = """
DELETE FROM idempotency_inflight f
USING unnest($1::bigint[], $2::text[]) AS r(owner, key)
WHERE f.owner_account_id = r.owner AND f.idempotency_key = r.key
"""

_PRUNE = "DELETE FROM idempotency_inflight WHERE expires_at < clock_timestamp()"

OwnerKey = tuple[int, str]


@dataclass(frozen=True)
class Claim:
    """Either the key's stored result (`prior`) or the right to send it (`claimed`)."""

    prior: IdempotencyRecord | None
    claimed: bool


_IN_USE = Claim(None, claimed=False)


class InFlight:
    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float) -> None:
        self._pool = pool
        self._ttl = ttl_seconds  # past it, a crashed gateway's claim no longer blocks retries
        self._claims = Coalescer(self._look_up_or_claim_all)
        self._releases = Coalescer(self._release_all)

    @contextlib.asynccontextmanager
    async def claim(
        self, owner_id: int, key: str | None
    ) -> AsyncIterator[IdempotencyRecord | None]:
        """Inside, the key's stored result if it was used before, else None and the key is
        this request's until the block ends; IdempotencyKeyInUse if another request holds
        it now. No key: nothing to claim."""
        if key is None:
            yield None
            return
        claim = await self._claims.submit((owner_id, key))
        if claim.prior is not None:
            yield claim.prior
            return
        if not claim.claimed:
            raise IdempotencyKeyInUse()
        try:
            yield None
        finally:
            await self.release(owner_id, key)

    async def release(self, owner_id: int, key: str) -> None:
        """Never fails the request it ends: its command is already answered for. A claim
        that could not be released expires after the TTL, and retries then get the result."""
        try:
            await self._releases.submit((owner_id, key))
        except (OSError, asyncpg.PostgresError, PoolExhausted, TimeoutError) as exc:
            log.warning("idempotency claim not released", error=repr(exc), ttl=self._ttl)

    async def prune(self) -> None:
        """Drop expired claims: those of requests that never released them (a crash)."""
        await self._pool.execute(_PRUNE)

    async def _look_up_or_claim_all(self, wanted: Sequence[OwnerKey]) -> list[Claim]:
        # The same key twice in one statement: only the first may claim, the other is a
        # concurrent request with that key (and one row cannot be claimed twice in a statement).
        first = list(dict.fromkeys(wanted))
        rows = await self._pool.fetch(
            _LOOK_UP_OR_CLAIM, [o for o, _ in first], [k for _, k in first], self._ttl
        )
        answers = {pair: _claim(row) for pair, row in zip(first, rows, strict=True)}
        claims, answered = [], set()
        for pair in wanted:
            claim = answers[pair]
            if pair in answered and claim.prior is None:
                claim = _IN_USE  # the first of them holds the claim
            answered.add(pair)
            claims.append(claim)
        return claims

    async def _release_all(self, pairs: Sequence[OwnerKey]) -> list[None]:
        await self._pool.execute(_RELEASE, [o for o, _ in pairs], [k for _, k in pairs])
        return [None] * len(pairs)


def _claim(row: asyncpg.Record) -> Claim:
    if row["event_id"] is not None:
        return Claim(IdempotencyRecord(row["request_hash"], row["event_id"]), claimed=False)
    return Claim(None, claimed=row["claimed"])
