"""The gateway's composition root: builds settings-driven clients once and wires the app."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware

from services.gateway.access.cache import AccessCache, AccessReader, ChangeListener
from services.gateway.access.limits import RateLimiter, gateway_limiter
from services.gateway.adapters.claims import InFlight
from services.gateway.adapters.events import Repository
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.developer_api.keys import developer_routes
from services.gateway.edge.errors import EXCEPTION_HANDLERS
from services.gateway.edge.observe import RequestObserver
from services.gateway.public_api.endpoints import BASE, public_routes
from services.gateway.settings import GatewaySettings
from services.gateway.submission.batch import BatchSubmitter
from services.gateway.submission.submitter import EventSubmitter
from services.gateway.webhooks.intake import webhook_routes
from shared.adapters.kafka import broker_reachable, create_producer
from shared.adapters.postgres import create_pool, ping
from shared.core.heap import freeze_startup_objects
from shared.domain.places import catalog as place_catalog
from shared.runtime.lag import LagMonitor
from shared.runtime.ops_http import Check, observe_pool, ops_routes

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GatewayContext:
    settings: GatewaySettings
    pool: asyncpg.Pool
    repository: Repository
    access: AccessReader
    limiter: RateLimiter
    writer: KafkaWriter
    submitter: EventSubmitter
    batch: BatchSubmitter


def create_app(settings: GatewaySettings) -> Starlette:
    client_id = f"gateway-{os.getpid()}"
    # Readiness checks are filled in by the lifespan, once the clients exist: aiokafka
    # clients can only be built inside the running event loop.
    checks: dict[str, Check] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(place_catalog)  # built once here, not on the first request
        pool = await create_pool(settings.database)
        observe_pool(pool)
        producer = create_producer(settings.kafka, client_id)
        await producer.start()
        outcomes = OutcomeListener(settings.kafka, f"{client_id}-outcomes")
        await outcomes.start()
        lag = LagMonitor(settings.kafka, settings.lag_interval_seconds)
        await lag.start()
        writer = KafkaWriter(
            producer, settings.kafka.send_timeout_seconds, settings.max_pending_sends
        )
        repository = Repository(pool)
        access_cache = AccessCache(settings.access_cache_seconds)
        access_changes = ChangeListener(settings.database.url, access_cache)
        await access_changes.start()
        access = AccessReader(repository, access_cache)
        limiter = gateway_limiter(
            pool, settings.rate_limits.window_seconds, settings.database.acquire_timeout_seconds
        )
        limiter.start_pruning()
        # A claim outlives the longest a request can take: the send, then the outcome wait.
        inflight_ttl = settings.kafka.send_timeout_seconds + settings.outcome_wait_seconds + 5
        submitter = EventSubmitter(
            repository,
            access,
            writer,
            outcomes,
            InFlight(pool, inflight_ttl),
            settings.outcome_wait_seconds,
        )
        batch = BatchSubmitter(repository, writer, location_base=f"{BASE}/events")
        app.state.ctx = GatewayContext(
            settings, pool, repository, access, limiter, writer, submitter, batch
        )
        checks["postgres"] = lambda: ping(pool)
        checks["kafka"] = lambda: broker_reachable(producer.client)
        freeze_startup_objects()
        log.info("gateway started", port=settings.port)
        try:
            yield
        finally:
            # uvicorn has drained open requests before the lifespan exits; flush the audit
            # records they produced before closing anything.
            await writer.drain()
            await limiter.stop_pruning()
            await access_changes.stop()
            await lag.stop()
            await outcomes.stop()
            await producer.stop()
            await pool.close()
            log.info("gateway stopped")

    return Starlette(
        routes=[*ops_routes(checks), *public_routes(), *developer_routes(), *webhook_routes()],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(RequestObserver, body_timeout_seconds=settings.body_timeout_seconds)
        ],
        lifespan=lifespan,
    )
