"""Feeds per channel, city and classification, built once per version of their scope.

Serving a feed costs one indexed lookup of its scope's version (and the `channels` version,
which moves when any channel's visibility, slug or name does); a feed is built, in a worker
thread, only when that version moved, the day turned, or it fell out of the LRU cache. Many
requests for a feed being built wait for the one build.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from services.discovery.feeds.atom import atom_feed
from services.discovery.feeds.ical import ical_feed
from services.discovery.feeds.jsonfeed import json_feed
from services.discovery.feeds.model import Feed
from services.discovery.feeds.series_ical import recurring_ids
from services.discovery.projector.rows import CHANNELS_SCOPE
from services.discovery.queries.search import SearchQuery
from services.discovery.queries.store import DiscoveryStore
from shared.core.metrics import FEED_BUILD_DURATION, FEED_REQUESTS

FeedFormat = Literal["ics", "json", "atom"]
FORMATS: dict[str, tuple[Callable[[Feed], bytes], str]] = {
    "ics": (ical_feed, "text/calendar; charset=utf-8"),
    "json": (json_feed, "application/feed+json; charset=utf-8"),
    "atom": (atom_feed, "application/atom+xml; charset=utf-8"),
}


@dataclass(frozen=True)
class FeedScope:
    """What a feed holds: `scope` names its version row, `query` selects its events."""

    kind: str  # channel, city, classification (a label for metrics)
    scope: str
    title: str
    description: str
    page_path: str
    feed_path: str  # without the format suffix
    query: SearchQuery


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    gzipped: bytes  # what clients that accept gzip get: a tenth of the bytes to send
    media_type: str
    etag: str


class FeedService:
    def __init__(
        self,
        store: DiscoveryStore,
        refresh_minutes: int,
        max_events: int,
        past_days: int,
        cache_entries: int,
    ) -> None:
        self._store = store
        self._refresh = refresh_minutes
        self._max_events = max_events
        self._past = timedelta(days=past_days)
        self._capacity = cache_entries
        self._cache: OrderedDict[str, BuiltFeed] = OrderedDict()
        self._building: dict[str, asyncio.Future[BuiltFeed]] = {}

    async def feed(self, scope: FeedScope, fmt: FeedFormat, base_url: str) -> BuiltFeed:
        versions = await self._store.scope_versions([scope.scope, CHANNELS_SCOPE])
        # Past events leave a feed at day boundaries (UTC), so the day is part of its identity.
        since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - self._past
        key = "|".join(
            [scope.scope, fmt, base_url, since.date().isoformat(),
             str(versions.get(scope.scope, 0)), str(versions.get(CHANNELS_SCOPE, 0))]
        )  # fmt: skip
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            FEED_REQUESTS.labels(fmt, "cached").inc()
            return cached
        FEED_REQUESTS.labels(fmt, "built").inc()
        return await self._single_flight(key, lambda: self._build(scope, fmt, base_url, since))

    async def _single_flight(
        self, key: str, build: Callable[[], Awaitable[tuple[bytes, bytes]]]
    ) -> BuiltFeed:
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[BuiltFeed] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            fmt = key.split("|")[1]
            body, gzipped = await build()
            built = BuiltFeed(body, gzipped, FORMATS[fmt][1], strong_etag(key))
            future.set_result(built)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else needs to
            raise
        finally:
            del self._building[key]
        self._remember(key, built)
        return built

    async def _build(
        self, scope: FeedScope, fmt: str, base_url: str, since: datetime
    ) -> tuple[bytes, bytes]:
        query = replace(scope.query, starts_after=since, limit=self._max_events)
        page = await self._store.search(query)
        series = await self._store.series(recurring_ids(page.rows))
        feed = Feed(
            title=scope.title,
            description=scope.description,
            page_url=base_url + scope.page_path,
            feed_url=f"{base_url}{scope.feed_path}.{fmt}",
            base_url=base_url,
            refresh_minutes=self._refresh,
            rows=page.rows,
            built_at=datetime.now(UTC),
            series=series,
        )
        builder = FORMATS[fmt][0]
        started = time.perf_counter()
        body = await asyncio.to_thread(builder, feed)
        FEED_BUILD_DURATION.labels(fmt, scope.kind).observe(time.perf_counter() - started)
        return body, await asyncio.to_thread(gzip.compress, body, 6)

    def _remember(self, key: str, built: BuiltFeed) -> None:
        self._cache[key] = built
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header matches `etag` (RFC 9110, 13.1.2): `*` matches any
    current representation; a listed tag matches by the weak comparison (`W/` ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    listed = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag.removeprefix("W/") in listed


def strong_etag(of: str | bytes) -> str:
    """A quoted strong entity tag for `of` (a feed's cache key, or a body)."""
    data = of.encode() if isinstance(of, str) else of
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
