"""Marks an Idempotency-Key as in flight for the whole deployment, so a concurrent retry is
answered 409 (IETF idempotency-key draft) instead of racing the first request.

The request's body fingerprint is compared first, with the key's stored result or with the
request holding it: another body under the key is 422 whether or not the first request is
still in flight (a retry could never succeed); the same body in flight is 409.

One statement both looks for the key's stored result and claims it; concurrent requests share
one such statement (`coalesce`). The release is not waited for: the answer is sent and the
claims ended within `RELEASE_GATHER_SECONDS` share one statement (at 500 requests/s about
ten, where each request had paid its own round trip before answering). A retry arriving in
that moment is answered 409 like any concurrent one. Both run in autocommit: the claims
table is UNLOGGED, so a commit writes no WAL and waits for no flush.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from services.gateway.adapters.coalesce import Coalescer
from services.gateway.adapters.events import (
    IdempotencyRecord,
    idempotency_record,
    key_record_join,
)
from services.gateway.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from shared.adapters.failures import STORE_MAINTENANCE_ERRORS

log = structlog.get_logger(__name__)

# Built from constants only (the record's columns and join), never from input. The holder
# is looked up per wanted key (LIMIT 1 keeps it a lookup by primary key): as a plain join the
# planner hashed a scan of the whole claims table, whose every request leaves a dead row
# until vacuum (2 ms at 228 pages in `make bench`).
LOOK_UP_OR_CLAIM_SQL = f"""
WITH wanted AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $4::text[]) WITH ORDINALITY
        AS w(owner, key, hash, n)
), prior AS (
    SELECT w.n, found.* FROM wanted w {key_record_join("w.owner", "w.key")}
), claimed AS (
    INSERT INTO idempotency_inflight AS f
        (owner_account_id, idempotency_key, expires_at, request_hash)
    SELECT w.owner, w.key, clock_timestamp() + make_interval(secs => $3), w.hash
    FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.n = w.n)
    ON CONFLICT (owner_account_id, idempotency_key) DO UPDATE
        SET expires_at = EXCLUDED.expires_at, request_hash = EXCLUDED.request_hash
        WHERE f.expires_at < clock_timestamp()
    RETURNING owner_account_id, idempotency_key, expires_at
)
SELECT p.*, c.expires_at AS claimed_until, held.request_hash AS held_hash
FROM wanted w
LEFT JOIN prior p ON p.n = w.n
LEFT JOIN claimed c ON c.owner_account_id = w.owner AND c.idempotency_key = w.key
LEFT JOIN LATERAL (
    SELECT h.request_hash FROM idempotency_inflight h
    WHERE h.owner_account_id = w.owner AND h.idempotency_key = w.key
    LIMIT 1) AS held ON true
ORDER BY w.n
"""  # noqa: S608  (constant fragments)

# Only the claim this gateway made: a release that comes after its claim expired must not
# end the claim of a retry that took the key since.
_RELEASE = """
DELETE FROM idempotency_inflight f
USING unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS r(owner, key, until)
WHERE f.owner_account_id = r.owner AND f.idempotency_key = r.key AND f.expires_at = r.until
"""

_PRUNE = "DELETE FROM idempotency_inflight WHERE expires_at < clock_timestamp()"

RELEASE_GATHER_SECONDS = 0.02

OwnerKey = tuple[int, str]
Held = tuple[int, str, datetime]  # owner, key, and the claim's expiry: which claim it is
Wanted = tuple[int, str, str]  # owner, key, the request's body fingerprint


@dataclass(frozen=True)
class Claim:
    """Either the key's stored result (`prior`) or the right to send it (`claimed`); when
    neither, `held_hash` is the fingerprint of the request holding the key (None: unknown)."""

    prior: IdempotencyRecord | None
    held_hash: str | None = None
    claimed_until: datetime | None = None  # the claim's expiry, when claimed

    @property
    def claimed(self) -> bool:
        return self.claimed_until is not None


class InFlight:
    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float) -> None:
        self._pool = pool
        self._ttl = ttl_seconds  # past it, a crashed gateway's claim no longer blocks retries
        self._claims = Coalescer(self._look_up_or_claim_all)
        self._releases = Coalescer(self._release_all, gather_seconds=RELEASE_GATHER_SECONDS)

    @contextlib.asynccontextmanager
    async def claim(
        self, owner_id: int, key: str | None, request_hash: str
    ) -> AsyncIterator[IdempotencyRecord | None]:
        """Inside, the key's stored result if it was used before, else None and the key is
        this request's until the block ends. Another request holds it now: with another body
        (`request_hash`, the fingerprint) IdempotencyKeyReused, with this one (or unknown)
        IdempotencyKeyInUse. No key: nothing to claim."""
        if key is None:
            yield None
            return
        claim = await self._claims.submit((owner_id, key, request_hash))
        if claim.prior is None and not claim.claimed and claim.held_hash is None:
            # Claimed by a statement that committed after ours began, so ours could not see
            # the holder's fingerprint: a second statement, begun later, can.
            claim = await self._claims.submit((owner_id, key, request_hash))
        if claim.prior is not None:
            yield claim.prior
            return
        until = claim.claimed_until
        if until is None:  # neither a stored result nor ours: another request holds it
            if claim.held_hash is not None and claim.held_hash != request_hash:
                raise IdempotencyKeyReused()
            raise IdempotencyKeyInUse()
        try:
            yield None
        finally:
            self._releases.enqueue((owner_id, key, until))

    def oldest_wait(self, now: float) -> float:
        """Seconds the oldest request waiting for its claim statement has waited at monotonic
        `now` (0: none): a standing queue there is one admission control must see (the
        database is behind)."""
        return self._claims.oldest_wait(now)

    async def drain(self) -> None:
        """Release the claims still to be released (at shutdown, before the pool closes)."""
        await self._releases.drain()

    async def prune(self) -> None:
        """Drop expired claims: those of requests that never released them (a crash)."""
        await self._pool.execute(_PRUNE)

    async def _look_up_or_claim_all(self, wanted: Sequence[Wanted]) -> list[Claim]:
        # The same key twice in one statement: only the first may claim, the other is a
        # concurrent request with that key (and one row cannot be claimed twice in a statement).
        firsts: dict[OwnerKey, str] = {}
        for owner, key, hash_ in wanted:
            firsts.setdefault((owner, key), hash_)
        pairs = list(firsts)
        rows = await self._pool.fetch(
            LOOK_UP_OR_CLAIM_SQL,
            [o for o, _ in pairs],
            [k for _, k in pairs],
            self._ttl,
            [firsts[pair] for pair in pairs],
        )
        answers = {pair: _claim(row) for pair, row in zip(pairs, rows, strict=True)}
        claims, answered = [], set()
        for owner, key, _ in wanted:
            claim = answers[(owner, key)]
            if (owner, key) in answered and claim.prior is None:
                # the first of them holds the claim
                claim = Claim(None, held_hash=firsts[(owner, key)])
            answered.add((owner, key))
            claims.append(claim)
        return claims

    async def _release_all(self, claims: Sequence[Held]) -> list[None]:
        # Never fails a request: each was answered already. A claim that could not be
        # released expires after the TTL, and retries then get the stored result.
        try:
            owners, keys, expiries = zip(*claims, strict=True)
            await self._pool.execute(_RELEASE, owners, keys, expiries)
        except STORE_MAINTENANCE_ERRORS as exc:  # InterfaceError too: a closing pool
            log.warning("idempotency claims not released", error=repr(exc), claims=len(claims),
                        ttl=self._ttl)  # fmt: skip
        return [None] * len(claims)


def _claim(row: asyncpg.Record) -> Claim:
    if row["event_id"] is not None:
        return Claim(idempotency_record(row))
    return Claim(None, row["held_hash"], row["claimed_until"])
