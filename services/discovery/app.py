"""The discovery service's composition root: builds the pool, store, feeds, pages and rate
limiter once and wires the routes. Stateless: run as many replicas as needed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from services.discovery.feeds.service import FeedService
from services.discovery.people.accounts import Accounts
from services.discovery.people.store import PeopleStore
from services.discovery.queries.search_cache import SearchCache
from services.discovery.queries.store import DiscoveryStore
from services.discovery.settings import DiscoverySettings
from services.discovery.web import (
    api,
    calendar_routes,
    feed_routes,
    pages,
    people_pages,
    people_routes,
)
from services.discovery.web.context import DiscoveryContext
from services.discovery.web.errors import EXCEPTION_HANDLERS
from services.discovery.web.event_refs import register_event_convertor
from services.discovery.web.middleware import PublicEdge
from services.discovery.web.render import Pages
from shared.adapters.rate_limits import RateLimiter
from shared.adapters.row_retention import SESSION_ENDED, RowRetention, keep_rows
from shared.contracts.topics import ConsumerGroup
from shared.core.heap import freeze_startup_objects
from shared.core.metrics import DISCOVERY_METRICS
from shared.core.tasks import cancel_and_wait
from shared.domain.passwords import Passwords
from shared.domain.places import catalog as place_catalog
from shared.runtime.api_index import index_of
from shared.runtime.clients import open_pool
from shared.runtime.lag import WATCHED, LagMonitor
from shared.runtime.ops_http import Check, observe_pool, ops_routes

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# Search statements are prepared once per connection; a generic plan cannot know how many
# events a word, a place or a date range matches (a rare word wants the text index, a common
# one the start index), and once chosen it would stick. Plan each search with its values.
PLANNING = {"plan_cache_mode": "force_custom_plan"}
# The consumers whose lag people feel: pages and feeds (projector), inbox and reminders
# (notifier).
PEOPLE_FACING_GROUPS = (ConsumerGroup.PROJECTOR, ConsumerGroup.NOTIFIER)


def routes() -> list[BaseRoute]:
    register_event_convertor()
    base = api.API_BASE
    json_api = [
        Route(f"{base}/events", api.events),
        Route(f"{base}/events/{{eventId:event}}", api.event),
        Route(f"{base}/channels", api.channels),
        Route(f"{base}/channels/{{slug}}", api.channel),
        Route(f"{base}/events/{{eventId:event}}/attendance", calendar_routes.attendance),
    ]
    return [
        Route("/", pages.home),
        Route("/search", pages.search),
        Route("/cities/{placeId}", pages.city),
        Route("/channels/{slug}", pages.channel),
        Route("/events/{eventId:event}.ics", feed_routes.event_calendar),
        Route("/events/{eventId:event}", pages.event),
        Route("/feeds/channels/{slug}.{format}", feed_routes.channel_feed),
        Route("/feeds/cities/{placeId}.{format}", feed_routes.city_feed),
        Route("/feeds/classifications/{slug}.{format}", feed_routes.classification_feed),
        index_of(
            base, json_api, "none: public data only, rate limited per IP", "docs/discovery.md"
        ),
        *json_api,
        *people_routes.routes(),
        *people_pages.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: DiscoverySettings) -> Starlette:
    checks: dict[str, Check] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.ctx = await open_discovery(settings, stack, checks)
            freeze_startup_objects()
            log.info("discovery started", port=settings.port)
            yield
        log.info("discovery stopped")

    return Starlette(
        routes=[*ops_routes(checks, DISCOVERY_METRICS), *routes()],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(PublicEdge)],
        lifespan=lifespan,
    )


async def open_discovery(
    settings: DiscoverySettings, stack: contextlib.AsyncExitStack, checks: dict[str, Check]
) -> DiscoveryContext:
    """Open every client discovery needs on `stack` (closed in reverse order when it exits)
    and build what the routes are given. Readiness is PostgreSQL only: pages are served from
    it whether or not Kafka is up."""
    await asyncio.to_thread(place_catalog)
    pool = await open_pool(stack, settings.database, checks, server_settings=PLANNING)
    observe_pool(pool)
    primary = await _primary_pool(settings, stack, checks, pool)
    lag = LagMonitor(
        settings.kafka,
        settings.lag_interval_seconds,
        watched={group: WATCHED[group] for group in PEOPLE_FACING_GROUPS},
    )
    if await _start_quietly(lag):
        stack.push_async_callback(lag.stop)
    # Counters are written: the primary, never a replica.
    limiter = RateLimiter(
        primary, settings.rate_limits.window_seconds, settings.database.acquire_timeout_seconds
    )
    limiter.start_pruning()
    stack.push_async_callback(limiter.stop_pruning)
    # Discovery owns people's sessions: it deletes those ended past their retention.
    days = settings.people.ended_session_retention_days
    sessions = RowRetention("person_sessions", SESSION_ENDED, timedelta(days=days))
    task = asyncio.create_task(keep_rows(primary, [sessions]), name="row-retention")
    stack.push_async_callback(cancel_and_wait, task)
    store = DiscoveryStore(pool)
    feeds = FeedService(
        store,
        settings.feed_refresh_minutes,
        settings.feed_max_events,
        settings.feed_past_days,
        settings.feed_cache_entries,
    )
    searches = SearchCache(store.scope_versions, settings.search_cache_mib * 2**20)
    people = PeopleStore(primary)
    passwords = Passwords.of(settings.people)
    accounts = Accounts(people, passwords, limiter, settings.people)
    return DiscoveryContext(
        settings,
        pool,
        store,
        searches,
        feeds,
        Pages(),
        limiter,
        primary,
        people,
        accounts,
        passwords,
    )


async def _primary_pool(
    settings: DiscoverySettings,
    stack: contextlib.AsyncExitStack,
    checks: dict[str, Check],
    read_pool: asyncpg.Pool,
) -> asyncpg.Pool:
    """People's writes go to the primary; without a replica both pools are one."""
    if settings.primary_database.url == settings.database.url:
        return read_pool
    return await open_pool(stack, settings.primary_database, checks, check="postgres_primary")


async def _start_quietly(lag: LagMonitor) -> bool:
    """The change stream's lag is measured when Kafka answers at start-up; pages never wait
    for it."""
    try:
        await lag.start()
    except (KafkaError, OSError) as exc:
        log.warning("change-stream lag not measured: Kafka unreachable", error=repr(exc))
        return False
    return True
