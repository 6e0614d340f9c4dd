"""The gateway's composition root: the one place that builds its clients and collaborators
(`open_gateway`) and wires the app's routes, error handlers and middleware (`create_app`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware

from services.gateway.access.admission import SojournController, probe_event_loop
from services.gateway.access.cache import AccessCache, AccessReader
from services.gateway.adapters.access_changes import ChangeListener
from services.gateway.adapters.audit import AuditStore
from services.gateway.adapters.channels import ChannelStore
from services.gateway.adapters.claims import InFlight
from services.gateway.adapters.deliveries import DeliveryLog
from services.gateway.adapters.events import EventStore
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.keys import KeyStore
from services.gateway.adapters.operations import OperationStore
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.adapters.portal import PortalStore
from services.gateway.context import Gateway, LifespanState
from services.gateway.developer_api import routes as developer_api
from services.gateway.edge.admission import Gate
from services.gateway.edge.errors import EXCEPTION_HANDLERS
from services.gateway.edge.observe import RequestObserver
from services.gateway.edge.operations import Row
from services.gateway.edge.routing import api_routes
from services.gateway.portal import routes as portal
from services.gateway.public_api import routes as public_api
from services.gateway.public_api.endpoints import BASE
from services.gateway.settings import GatewaySettings
from services.gateway.submission.batch import BatchSubmitter
from services.gateway.submission.submitter import Submitter
from services.gateway.webhooks import intake
from shared.adapters.failures import STORE_MAINTENANCE_ERRORS
from shared.adapters.partitions import Retention, keep_partitions
from shared.adapters.postgres import BoundedPool, create_pool
from shared.adapters.rate_limits import RateLimiter
from shared.adapters.row_retention import SESSION_ENDED, RowRetention, keep_rows
from shared.adapters.sign_in import Credentials, SignInGuard, SignInPolicy
from shared.core.heap import freeze_startup_objects
from shared.core.metrics import GATEWAY_METRICS
from shared.core.tasks import cancel_and_wait
from shared.domain import place_names
from shared.domain.passwords import Passwords
from shared.runtime.clients import open_pool_and_producer
from shared.runtime.lag import LagMonitor
from shared.runtime.ops_http import Check, observe_pool, ops_routes

# Idempotency keys are looked up in their own small pool whose statements keep one generic
# plan. A key lookup names no partition (keys are partitioned by week of use, migration 0022),
# so a custom plan prunes nothing, yet PostgreSQL re-plans it for every call across every
# partition of the keys and of command_outcomes: the claim statement took 1.0-1.4 ms with
# custom plans and 0.4-0.7 ms with the generic one (13 weekly partitions, 200,000 keys).
# Only these statements: the gateway's listings filter on optional values ("$2 IS NULL OR
# ...") and prune partitions by time, where a plan for the values given is worth its cost.
KEY_LOOKUPS = {"plan_cache_mode": "force_generic_plan"}

log = structlog.get_logger(__name__)

# The webhook route is documented with the public API: it is how senders publish too.
PUBLIC_ROWS: tuple[Row, ...] = (*public_api.OPERATIONS, intake.OPERATION)


def create_app(settings: GatewaySettings) -> Starlette:
    # Readiness checks are filled in by the lifespan, once the clients exist: aiokafka
    # clients can only be built inside the running event loop.
    checks: dict[str, Check] = {}
    admission = settings.admission

    def controller(target: float, name: str) -> SojournController:
        return SojournController(
            target,
            admission.interval_seconds,
            name,
            reentry=admission.reentry_seconds,
            reentry_interval=admission.reentry_interval_seconds,
        )

    on_loop = controller(admission.target_seconds, "loop")
    on_loop_for_batches = controller(admission.batch_target_seconds, "loop-batch")
    on_acks = controller(admission.ack_target_seconds, "acks")
    on_claims = controller(admission.claim_target_seconds, "claims")
    on_pool = controller(admission.pool_target_seconds, "pool")
    queues = (on_acks, on_claims, on_pool)
    gate = Gate(
        (on_loop, *queues),
        PUBLIC_ROWS,
        admission.retry_after_seconds,
        own={public_api.BATCH_OPERATION_ID: (on_loop_for_batches, *queues)},
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[LifespanState]:
        async with contextlib.AsyncExitStack() as stack:
            gateway = await open_gateway(settings, stack, checks)
            if admission.enabled:
                gate.outage = lambda: gateway.writer.failing
                acks = (on_acks, gateway.writer.oldest_wait)
                claims = (on_claims, gateway.submitter.claims.oldest_wait)
                pools = (on_pool, gateway.pool_waits)
                loop_targets = (on_loop, on_loop_for_batches)
                queued = [acks, claims, pools]
                probe = probe_event_loop(loop_targets, admission.probe_seconds, queued)
                task = asyncio.create_task(probe, name="admission-probe")
                stack.push_async_callback(cancel_and_wait, task)
            freeze_startup_objects()
            log.info("gateway started", port=settings.port)
            yield {"gateway": gateway}
            # uvicorn has drained open requests before the lifespan exits; the stack then
            # closes everything in reverse order, first flushing the audit records.
        log.info("gateway stopped")

    app = Starlette(
        routes=[
            *ops_routes(checks, GATEWAY_METRICS),
            *api_routes(PUBLIC_ROWS, public_api.DOCUMENT),
            *api_routes(developer_api.OPERATIONS, developer_api.DOCUMENT),
            *portal.routes(),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(
                RequestObserver,
                body_timeout_seconds=settings.body_timeout_seconds,
                gate=gate if admission.enabled else None,
            )
        ],
        lifespan=lifespan,
    )
    # For the server's protocol, which refuses as it reads (edge/early_refusal.py).
    app.state.gate = gate if admission.enabled else None
    return app


async def open_gateway(
    settings: GatewaySettings, stack: contextlib.AsyncExitStack, checks: dict[str, Check]
) -> Gateway:
    """Open every client the gateway needs on `stack` (closed in reverse order when it
    exits) and build its collaborators."""
    client_id = f"gateway-{os.getpid()}"
    # Built once here, not in the first request whose document names a city (a webhook, a
    # portal preview): seconds of work that would hold up every request meanwhile.
    await asyncio.to_thread(place_names.warm)
    pool, producer = await open_pool_and_producer(
        stack, settings.database, settings.kafka, client_id, checks
    )
    key_pool = await create_pool(
        settings.database.model_copy(update={"pool_min_size": 1, "pool_max_size": 4}),
        server_settings=KEY_LOOKUPS,
    )
    stack.push_async_callback(key_pool.close)
    observe_pool(pool, key_pool)
    outcomes = OutcomeListener(settings.kafka, f"{client_id}-outcomes")
    await outcomes.start()
    stack.push_async_callback(outcomes.stop)
    lag = LagMonitor(settings.kafka, settings.lag_interval_seconds)
    await lag.start()
    stack.push_async_callback(lag.stop)
    access_cache = AccessCache(settings.access_cache_seconds)
    access_changes = ChangeListener(settings.database.url, access_cache)
    await access_changes.start()
    stack.push_async_callback(access_changes.stop)
    writer = KafkaWriter(
        producer,
        settings.kafka.send_timeout_seconds,
        settings.max_pending_sends,
        group_max_commands=settings.ingest_group_max_commands,
    )
    stack.push_async_callback(writer.drain)  # audit records still in flight, before the stop
    gateway = _collaborators(settings, pool, key_pool, writer, outcomes, access_cache)
    stack.push_async_callback(gateway.submitter.claims.drain)  # before the key pool closes
    await gateway.operations.load_key()
    window = settings.rate_limits.window_seconds
    for prune in (gateway.limiter.prune, gateway.submitter.claims.prune):
        task = asyncio.create_task(_every(window, prune), name=f"prune-{prune.__qualname__}")
        stack.push_async_callback(cancel_and_wait, task)
    deliveries = Retention("webhook_deliveries", timedelta(days=settings.delivery_retention_days))
    task = asyncio.create_task(keep_partitions(pool, [deliveries]), name="partitions")
    stack.push_async_callback(cancel_and_wait, task)
    days = settings.portal.ended_session_retention_days
    sessions = RowRetention("portal_sessions", SESSION_ENDED, timedelta(days=days))
    task = asyncio.create_task(keep_rows(pool, [sessions]), name="row-retention")
    stack.push_async_callback(cancel_and_wait, task)
    return gateway


def _collaborators(
    settings: GatewaySettings,
    pool: BoundedPool,
    key_pool: BoundedPool,
    writer: KafkaWriter,
    outcomes: OutcomeListener,
    access_cache: AccessCache,
) -> Gateway:
    events = EventStore(pool, key_pool)
    access = AccessReader(events, access_cache)
    window = settings.rate_limits.window_seconds
    limiter = RateLimiter(pool, window, settings.database.acquire_timeout_seconds)
    wait = settings.outcome_wait_seconds
    # A claim outlives the longest a request can take: the send, then the outcome wait.
    claims = InFlight(key_pool, settings.kafka.send_timeout_seconds + wait + 5)
    operations = OperationStore(pool)
    integrations = IntegrationStore(pool, changed=access.integration_changed)
    passwords = Passwords.of(settings.portal)
    sign_in_policy = SignInPolicy.of("portal-signin", settings.portal)
    return Gateway(
        settings=settings,
        events=events,
        access=access,
        limiter=limiter,
        writer=writer,
        submitter=Submitter(
            events, access, claims, writer, outcomes, settings.outcome_wait_seconds, operations
        ),
        batch=BatchSubmitter(
            events,
            writer,
            operations,
            location_base=f"{BASE}/events",
        ),
        keys=KeyStore(pool, changed=access.key_changed),
        integrations=integrations,
        audit=AuditStore(pool),
        channels=ChannelStore(pool),
        operations=operations,
        deliveries=DeliveryLog(pool),
        portal=PortalStore(pool),
        passwords=passwords,
        sign_in=SignInGuard(Credentials(pool, "portal_users"), passwords, limiter, sign_in_policy),
        pool_waits=lambda now: max(
            pool.waits.oldest_wait(now),
            key_pool.waits.oldest_wait(now),
            integrations.oldest_delivery_wait(now),
        ),
    )


async def _every(seconds: float, prune: Callable[[], Awaitable[None]]) -> None:
    """Each owner of a table prunes its own rows; a failed round is retried next time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await prune()
        except STORE_MAINTENANCE_ERRORS as exc:
            log.warning("pruning failed", task=prune.__qualname__, error=repr(exc))
