"""Rate limits for the deployment as a whole (gateway: per client IP, API key and route;
discovery: per client IP).

Every process counts in the same PostgreSQL table (fixed windows on the database's
clock), so replicas share one limit. A gateway does not count each request there: it leases a
share of what is left of a quota (a twentieth, at least 1 and at most 1,000 requests) in one
statement for all the request's buckets, and spends the lease from memory. The database never
grants more than the quota, so the deployment never admits more than it; a lease not spent
when the window ends is lost, so N processes may refuse up to N leases early. Small quotas are
leased one request at a time and are exact. Answers carry the IETF `RateLimit-Policy` and
`RateLimit` headers, and 429 adds `Retry-After`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from shared.adapters.failures import STORE_MAINTENANCE_ERRORS
from shared.adapters.postgres import PoolExhausted
from shared.core.metrics import RATE_LIMITED
from shared.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

# granted: what this lease gets, never past the quota; hits: everything leased so far.
_LEASE = """
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp()) AS now,
           floor(extract(epoch FROM clock_timestamp()) / $4)::bigint * $4 AS start
)
INSERT INTO rate_limit_counters AS c
    (bucket, window_start, hits, granted, quota, window_seconds)
SELECT u.bucket, (SELECT start FROM clock), LEAST(u.want, u.quota), LEAST(u.want, u.quota),
       u.quota, $4
FROM unnest($1::text[], $2::int[], $3::int[]) AS u(bucket, want, quota)
ON CONFLICT (bucket, window_seconds, window_start) DO UPDATE
    SET granted = LEAST(EXCLUDED.granted, GREATEST(0, EXCLUDED.quota - c.hits)),
        hits = c.hits + LEAST(EXCLUDED.granted, GREATEST(0, EXCLUDED.quota - c.hits)),
        quota = EXCLUDED.quota
RETURNING bucket, hits, granted, (SELECT start + $4 - now FROM clock) AS reset_in
"""

PRUNE_COUNTERS = """
DELETE FROM rate_limit_counters
WHERE window_start + 2 * window_seconds < floor(extract(epoch FROM clock_timestamp()))::bigint
"""

LEASE_SHARE = 20  # lease a twentieth of what is left of a quota ...
# ... but never more than this many requests at once. Requests that find the lease spent
# wait for the next one (one lease in flight per bucket), so a bucket admits at most this
# many per lease round trip: at 100, a key sending 2,000/s to a gateway whose database took
# 200 ms per lease queued its requests for seconds. The cap binds only with 20,000 or more
# of a quota left; then N gateways may refuse up to N x 1,000 requests early in a window.
MAX_LEASE = 1000


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


@dataclass
class _Lease:
    """What this process holds of one bucket's quota in one window."""

    tokens: int  # requests it may still admit without asking the database
    counted: int  # everything leased in the deployment as of its last lease, its own included
    ends_at: float  # the window's end on this process's monotonic clock
    exhausted: bool = False  # the database granted nothing more in this window

    def usable(self, now: float) -> bool:
        return self.tokens > 0 and now < self.ends_at

    def spent(self, now: float) -> bool:
        return self.exhausted and now < self.ends_at


class RateLimiter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        window_seconds: int,
        wait_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`wait_seconds` bounds waiting for another request's lease, as the pool bounds
        waiting for a connection: past it the request is refused with 503."""
        self._pool = pool
        self._window = window_seconds
        self._wait = wait_seconds
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        # One lease request per bucket at a time: a burst waits for it instead of leasing
        # the whole quota away in parallel.
        self._leasing: dict[str, asyncio.Future[None]] = {}
        self._pruner: asyncio.Task[None] | None = None

    async def check(self, limits: Sequence[Limit]) -> Verdict:
        while short := [limit for limit in limits if self._needs_lease(limit.bucket)]:
            await self._lease(short)
        now = self._clock()
        leases = [self._leases[limit.bucket] for limit in limits]
        allowed = all(lease.usable(now) for lease in leases)
        hits = {}
        for limit, lease in zip(limits, leases, strict=True):
            if allowed:
                lease.tokens -= 1
            # A bucket with nothing left counts this request as one past its quota.
            over = not lease.usable(now) and not allowed
            hits[limit.bucket] = limit.quota + 1 if over else lease.counted - lease.tokens
        reset_in = math.ceil(min(lease.ends_at for lease in leases) - now)
        result = verdict(limits, hits, reset_in, self._window)
        if not result.allowed:
            RATE_LIMITED.labels(_refusing_policy(limits, hits)).inc()
        return result

    def _needs_lease(self, bucket: str) -> bool:
        lease = self._leases.get(bucket)
        now = self._clock()
        return lease is None or not (lease.usable(now) or lease.spent(now))

    async def _lease(self, limits: Sequence[Limit]) -> None:
        others = {self._leasing[limit.bucket] for limit in limits if limit.bucket in self._leasing}
        fresh = [limit for limit in limits if limit.bucket not in self._leasing]
        own = None
        if fresh:
            own = asyncio.ensure_future(self._fetch_lease(fresh))
            for limit in fresh:
                self._leasing[limit.bucket] = own
            own.add_done_callback(lambda done: self._forget(fresh, done))
            # Its leader may be gone (client disconnected): the error is then whoever
            # waits on it, or nobody's; never an "exception was never retrieved" warning.
            own.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Shielded: a caller that gives up must not cancel a lease others are waiting for.
        waiting = asyncio.gather(*(asyncio.shield(lease) for lease in others))
        try:
            await asyncio.wait_for(waiting, self._wait)
        except TimeoutError:
            raise PoolExhausted(f"no rate-limit lease within {self._wait} s") from None
        if own is not None:
            await asyncio.shield(own)

    def _forget(self, limits: Sequence[Limit], done: asyncio.Future[None]) -> None:
        for limit in limits:
            if self._leasing.get(limit.bucket) is done:
                del self._leasing[limit.bucket]

    async def _fetch_lease(self, limits: Sequence[Limit]) -> None:
        """One round trip for every bucket that ran out, in autocommit: the table is
        UNLOGGED, so the commit writes no WAL and never waits for a flush."""
        rows = await self._pool.fetch(
            _LEASE,
            [limit.bucket for limit in limits],
            [self._lease_size(limit) for limit in limits],
            [limit.quota for limit in limits],
            self._window,
        )
        now = self._clock()
        for row in rows:
            ends_at = now + float(row["reset_in"])
            lease = self._leases.get(row["bucket"])
            if lease is None or lease.ends_at <= now or abs(lease.ends_at - ends_at) > 1:
                lease = self._leases[row["bucket"]] = _Lease(0, 0, ends_at)
            lease.tokens += row["granted"]
            lease.counted = max(lease.counted, row["hits"])
            lease.exhausted = row["granted"] == 0

    def _lease_size(self, limit: Limit) -> int:
        lease = self._leases.get(limit.bucket)
        left = limit.quota - lease.counted if lease is not None else limit.quota
        return max(1, min(MAX_LEASE, left // LEASE_SHARE))

    async def prune(self) -> None:
        """Forget leases of windows past, here and in the shared counters (kept two windows
        long, whatever a window's length). Only the limiter's own table: the owners of other
        tables prune theirs."""
        now = self._clock()
        self._leases = {b: lease for b, lease in self._leases.items() if lease.ends_at > now}
        await self._pool.execute(PRUNE_COUNTERS)

    def start_pruning(self) -> None:
        """`prune` every window, in a task of its own (`stop_pruning` ends it)."""
        self._pruner = asyncio.create_task(self._prune_forever(), name="rate-limit-pruner")

    async def stop_pruning(self) -> None:
        await cancel_and_wait(self._pruner)

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(self._window)
            try:
                await self.prune()
            except STORE_MAINTENANCE_ERRORS as exc:
                log.warning("pruning failed", error=repr(exc))


def _refusing_policy(limits: Sequence[Limit], hits: dict[str, int]) -> str:
    over = [limit.policy for limit in limits if hits.get(limit.bucket, 0) > limit.quota]
    return over[0] if over else "unknown"
