"""The JSON search's answers, kept per version of the read-model scope they were read from.

A search reads only the read model and the channels table, so its answer stays right until
a row that could match it changes. The projector bumps, in the same transaction as each
change, the version of every scope the event was and is in (`channel:<id>`, `place:<id>`,
`classification:<slug>`, and `events` for any change at all), and a trigger bumps `channels`
when a channel's visibility, slug or name changes. So an answer is reused while the versions
of its narrowest scope and of `channels` are the ones read before it was computed: a hit costs
one indexed lookup instead of the search (about 2 ms of PostgreSQL's CPU), and a change is
seen by the next request after its commit, as without the cache.

Versions are read *before* the search runs: a change committed in between makes the answer
newer than its versions say, never older, so it is dropped on the next request, never served
stale. Each process keeps its own cache (LRU, bounded in bytes); replicas need no coordination.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.discovery.projector.rows import CHANNELS_SCOPE, EVERY_EVENT_SCOPE
from services.discovery.queries.search import SearchQuery
from shared.core.metrics import SEARCH_CACHE_REQUESTS


def search_scope(query: SearchQuery) -> str:
    """The narrowest scope holding every event the search could answer: its channel, its
    city, its classification, else every event (free text or a radius anywhere)."""
    if query.channel_id is not None:
        return f"channel:{query.channel_id}"
    if query.place_id is not None:
        return f"place:{query.place_id}"
    if query.classification is not None:
        return f"classification:{query.classification}"
    return EVERY_EVENT_SCOPE


@dataclass(frozen=True)
class CacheKey:
    query: SearchQuery
    after: object  # the page's position: SearchQuery leaves it out of equality
    base_url: str
    versions: tuple[int, int]


class SearchCache:
    """Answers (bytes) by search, page and scope versions; at most `max_bytes` kept, least
    recently used dropped first. `max_bytes` 0 keeps nothing (every search runs)."""

    def __init__(
        self,
        versions: Callable[[list[str]], Awaitable[dict[str, int]]],
        max_bytes: int,
    ) -> None:
        self._versions = versions
        self._max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def answer(
        self, query: SearchQuery, base_url: str, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The cached answer to `query`, else `compute()`'s, kept for the next request."""
        if self._max_bytes <= 0:
            return await compute()
        scope = search_scope(query)
        found = await self._versions([scope, CHANNELS_SCOPE])
        key = CacheKey(
            query, query.after, base_url, (found.get(scope, 0), found.get(CHANNELS_SCOPE, 0))
        )
        cached = self._entries.get(key)
        if cached is not None:
            self._entries.move_to_end(key)
            SEARCH_CACHE_REQUESTS.labels("hit").inc()
            return cached
        SEARCH_CACHE_REQUESTS.labels("miss").inc()
        body = await compute()
        self._remember(key, body)
        return body

    def _remember(self, key: CacheKey, body: bytes) -> None:
        if len(body) > self._max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous)
        self._entries[key] = body
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped)
