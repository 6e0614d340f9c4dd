"""Health, readiness and metrics endpoints, shared by every service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

import asyncpg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.core.metrics import DB_POOL_CONNECTIONS

Check = Callable[[], Awaitable[None]]

READINESS_TIMEOUT_SECONDS = 2.0


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def metrics_endpoint(exported: Iterable[Collector]) -> Callable[[Request], Awaitable[Response]]:
    """`/metrics`: the process's own (CPU, memory, GC, Python) and the `exported` families,
    those the service moves (shared/core/metrics.py), not every one the catalogue declares."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR, *exported):
        registry.register(collector)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def readiness_endpoint(checks: Mapping[str, Check]) -> Callable[[Request], Awaitable[Response]]:
    """`/readyz`: 200 only when every dependency answers within the timeout; 503 names which."""

    async def readyz(_: Request) -> Response:
        results = await asyncio.gather(*(_run(check) for check in checks.values()))
        report = dict(zip(checks, results, strict=True))
        ready = all(result == "ok" for result in report.values())
        body = {"status": "ready" if ready else "not_ready", "checks": report}
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz


async def _run(check: Check) -> str:
    try:
        await asyncio.wait_for(check(), READINESS_TIMEOUT_SECONDS)
    except Exception as exc:  # readiness reports any failure; it never raises
        name = type(exc).__name__
        detail = str(exc).strip().removeprefix(f"{name}: ")  # aiokafka's str() repeats it
        return f"failed: {name}" + (f": {detail[:200]}" if detail else "")
    return "ok"


OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: every few seconds from each prober and Prometheus, so their request
lines are DEBUG while they answer 2xx (a failing probe stays INFO)."""


def request_log_level(path: str, status: int) -> int:
    """The level of a request's summary line (`logging` levels)."""
    return logging.DEBUG if path in OPS_PATHS and status < 300 else logging.INFO


def ops_routes(checks: Mapping[str, Check], exported: Iterable[Collector]) -> list[Route]:
    return [
        Route("/healthz", healthz),
        Route("/readyz", readiness_endpoint(checks)),
        Route("/metrics", metrics_endpoint(exported)),
    ]


def observe_pool(*pools: asyncpg.Pool) -> None:
    """Export the process's pools' use (summed) at scrape time, so the gauge is never stale."""
    DB_POOL_CONNECTIONS.labels("in_use").set_function(
        lambda: sum(pool.get_size() - pool.get_idle_size() for pool in pools)
    )
    DB_POOL_CONNECTIONS.labels("idle").set_function(
        lambda: sum(pool.get_idle_size() for pool in pools)
    )
