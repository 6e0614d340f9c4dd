"""The gateway's rate limits: the deployment-wide quota leases of shared.adapters.rate_limits;
its pruning also drops expired idempotency claims and webhook deliveries past retention."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from services.gateway.adapters.claims import PRUNE as PRUNE_INFLIGHT
from shared.adapters.integrations import PRUNE_DELIVERIES
from shared.adapters.rate_limits import LEASE_SHARE, MAX_LEASE, Limit, RateLimiter, Verdict, verdict
from shared.adapters.rate_limits import PRUNE_COUNTERS as _PRUNE

__all__ = [
    "LEASE_SHARE",
    "MAX_LEASE",
    "_PRUNE",
    "Limit",
    "RateLimiter",
    "Verdict",
    "gateway_limiter",
    "verdict",
]  # fmt: skip


def gateway_limiter(
    pool: asyncpg.Pool,
    window_seconds: int,
    wait_seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> RateLimiter:
    return RateLimiter(
        pool, window_seconds, wait_seconds, clock, pruned_with=(PRUNE_INFLIGHT, PRUNE_DELIVERIES)
    )
