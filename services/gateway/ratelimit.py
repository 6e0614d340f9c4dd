"""Rate limits per client IP, per API key and per route, for the deployment as a whole.

Every gateway process counts in the same PostgreSQL table (fixed windows on the database's
clock), so two replicas share one limit. One statement per request counts every bucket the
request falls in; the answer carries the IETF `RateLimit-Policy` and `RateLimit` headers, and
429 adds `Retry-After`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from services.gateway.inflight import PRUNE as PRUNE_INFLIGHT
from shared.integrations import PRUNE_DELIVERIES
from shared.metrics import RATE_LIMITED
from shared.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

_COUNT = """
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp()) AS now,
           floor(extract(epoch FROM clock_timestamp()) / $2)::bigint * $2 AS start
)
INSERT INTO rate_limit_counters AS c (bucket, window_start, hits, window_seconds)
SELECT bucket, (SELECT start FROM clock), 1, $2 FROM unnest($1::text[]) AS bucket
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + 1
RETURNING bucket, hits, ceil((SELECT start + $2 - now FROM clock))::int AS reset_in
"""

_PRUNE = """
DELETE FROM rate_limit_counters
WHERE window_start + 2 * window_seconds < floor(extract(epoch FROM clock_timestamp()))::bigint
"""


@dataclass(frozen=True)
class Limit:
    """`quota` requests per window for one bucket, e.g. policy `key` for one key id."""

    policy: str
    subject: str
    quota: int

    @property
    def bucket(self) -> str:
        return f"{self.policy}:{self.subject}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


def verdict(limits: Sequence[Limit], hits: dict[str, int], reset_in: int, window: int) -> Verdict:
    """Pure decision: over any quota -> refused; headers describe the tightest policy."""
    remaining = {limit.policy: limit.quota - hits.get(limit.bucket, 0) for limit in limits}
    tightest = min(limits, key=lambda limit: remaining[limit.policy])
    reset = max(1, reset_in)
    headers = {
        "RateLimit-Policy": ", ".join(f'"{lim.policy}";q={lim.quota};w={window}' for lim in limits),
        "RateLimit": f'"{tightest.policy}";r={max(0, remaining[tightest.policy])};t={reset}',
    }
    allowed = remaining[tightest.policy] >= 0
    if not allowed:
        headers["Retry-After"] = str(reset)
    return Verdict(allowed, headers)


class RateLimiter:
    def __init__(self, pool: asyncpg.Pool, window_seconds: int) -> None:
        self._pool = pool
        self._window = window_seconds
        self._pruner: asyncio.Task[None] | None = None

    async def check(self, limits: Sequence[Limit]) -> Verdict:
        # One round trip in autocommit: the table is UNLOGGED, so the commit writes no WAL
        # and never waits for a flush while the hot counter rows are locked.
        rows = await self._pool.fetch(_COUNT, [limit.bucket for limit in limits], self._window)
        hits = {row["bucket"]: row["hits"] for row in rows}
        result = verdict(limits, hits, rows[0]["reset_in"] if rows else self._window, self._window)
        if not result.allowed:
            RATE_LIMITED.labels(_refusing_policy(limits, hits)).inc()
        return result

    def start_pruning(self) -> None:
        """Every window, drop old counters, expired in-flight idempotency claims and webhook
        deliveries past their retention."""
        self._pruner = asyncio.create_task(self._prune_forever(), name="gateway-pruner")

    async def stop_pruning(self) -> None:
        await cancel_and_wait(self._pruner)

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(self._window)
            try:
                await self._pool.execute(_PRUNE)
                await self._pool.execute(PRUNE_INFLIGHT)
                await self._pool.execute(PRUNE_DELIVERIES)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("pruning failed", error=repr(exc))


def _refusing_policy(limits: Sequence[Limit], hits: dict[str, int]) -> str:
    over = [limit.policy for limit in limits if hits.get(limit.bucket, 0) > limit.quota]
    return over[0] if over else "unknown"
