"""Key records, channel access and webhook integrations without a database round trip on
every request.

An entry lives at most `ttl` seconds (GATEWAY_ACCESS_CACHE_SECONDS: the revocation bound the
README states) and is dropped as soon as PostgreSQL announces a change to its key, channel or
integration: the triggers of migrations 0009 and 0030 NOTIFY at commit, so a revocation
usually takes effect within milliseconds. While the announcement connection is down nothing
is served from the cache, so a missed announcement can never stretch the bound.

Only what lets a request through is remembered: an active key, an allowed channel, an
active integration of an active account (with its secrets, so an entry also ends when a
rotated secret's overlap does). A refusal is read afresh every time, so enabling a key or
granting a channel works at once on every gateway, and guessing keys cannot fill memory. A
gateway that changes a key or an integration itself forgets it before answering, so its own
next request already sees the change.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from services.gateway.adapters.events import EventStore, KeyRecord
from shared.core.metrics import ACCESS_CACHE_LOOKUPS
from shared.core.numerals import ascii_digits

Integration = dict[str, Any]
Entry = TypeVar("Entry")


class AccessCache:
    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._keys: dict[str, tuple[float, KeyRecord]] = {}
        # channel id -> owner account id -> (expiry, allowed): a channel's change drops its row.
        self._channels: dict[int, dict[int, tuple[float, bool]]] = {}
        self._integrations: dict[uuid.UUID, tuple[float, Integration]] = {}
        self._generation = 0
        self._live = False

    @property
    def generation(self) -> int:
        """Moves on every change and every clear. A value read from the database while the
        generation moved may predate a change, so it is not remembered."""
        return self._generation

    def key(self, prefix: str) -> KeyRecord | None:
        return self._unexpired(self._keys.get(prefix))

    def remember_key(self, record: KeyRecord, generation: int) -> None:
        if record.status == "active" and self._storable(generation):
            self._keys[record.prefix] = (self._clock() + self._ttl, record)

    def forget_key(self, key_id: uuid.UUID) -> None:
        self._generation += 1
        for prefix in [p for p, (_, record) in self._keys.items() if record.id == key_id]:
            del self._keys[prefix]

    def channel_access(self, owner_id: int, channel_id: int) -> bool | None:
        return self._unexpired(self._channels.get(channel_id, {}).get(owner_id))

    def remember_channel_access(
        self, owner_id: int, channel_id: int, allowed: bool, generation: int
    ) -> None:
        if allowed and self._storable(generation):
            owners = self._channels.setdefault(channel_id, {})
            owners[owner_id] = (self._clock() + self._ttl, allowed)

    def integration(self, integration_id: uuid.UUID) -> Integration | None:
        return self._unexpired(self._integrations.get(integration_id))

    def remember_integration(self, integration: Integration, generation: int) -> None:
        """`integration` as `for_intake` reads it: an active one, with `previous_secret_until`
        (a UTC datetime, or None) bounding how long its previous secret is accepted."""
        if integration["status"] != "active" or not self._storable(generation):
            return
        expiry = self._clock() + self._ttl
        until: datetime | None = integration.get("previous_secret_until")
        if until is not None:
            expiry = min(expiry, self._clock() + (until - datetime.now(UTC)).total_seconds())
        self._integrations[integration["id"]] = (expiry, integration)

    def forget_integration(self, integration_id: uuid.UUID) -> None:
        self._generation += 1
        self._integrations.pop(integration_id, None)

    def changed(self, announcement: str) -> None:
        """`key:<prefix>`, `channel:<id>` or `integration:<uuid>`, as the triggers send them;
        anything else clears."""
        self._generation += 1
        kind, _, subject = announcement.partition(":")
        if kind == "key":
            self._keys.pop(subject, None)
        elif kind == "channel" and ascii_digits(subject):
            self._channels.pop(int(subject), None)
        elif kind == "integration" and (integration_id := _uuid(subject)) is not None:
            self._integrations.pop(integration_id, None)
        else:
            self.clear()

    def go_live(self) -> None:
        self.clear()
        self._live = True

    def go_dark(self) -> None:
        self._live = False
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._keys.clear()
        self._channels.clear()
        self._integrations.clear()

    def _unexpired(self, entry: tuple[float, Entry] | None) -> Entry | None:
        """The entry's value while the cache is live and the entry has not expired."""
        if not self._live or entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def _storable(self, generation: int) -> bool:
        if not self._live or self._ttl <= 0 or generation != self._generation:
            return False
        if len(self._keys) + len(self._channels) + len(self._integrations) >= self._max_entries:
            self.clear()  # a crude bound, reached only by far more keys than one deployment has
            return False
        return True


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


class AccessReader:
    """The event store's key and channel-access reads, and webhook integrations' lookups,
    through the cache."""

    def __init__(self, events: EventStore, cache: AccessCache) -> None:
        self._events = events
        self._cache = cache
        # Bound once: these are counted on every request.
        self._lookups = {
            (kind, hit): ACCESS_CACHE_LOOKUPS.labels(kind, "hit" if hit else "miss")
            for kind in ("key", "channel", "integration")
            for hit in (True, False)
        }

    async def key_by_prefix(self, prefix: str) -> KeyRecord | None:
        cached = self._cache.key(prefix)
        self._lookups["key", cached is not None].inc()
        if cached is not None:
            return cached
        generation = self._cache.generation
        record = await self._events.key_by_prefix(prefix)
        if record is not None:
            self._cache.remember_key(record, generation)
        return record

    def key_changed(self, key_id: uuid.UUID) -> None:
        """This gateway just changed the key: its next request must not see the old record."""
        self._cache.forget_key(key_id)

    async def can_access_channel(self, owner_id: int, channel_id: int) -> bool:
        cached = self._cache.channel_access(owner_id, channel_id)
        self._lookups["channel", cached is not None].inc()
        if cached is not None:
            return cached
        generation = self._cache.generation
        allowed = await self._events.can_access_channel(owner_id, channel_id)
        self._cache.remember_channel_access(owner_id, channel_id, allowed, generation)
        return allowed

    async def integration(
        self,
        integration_id: uuid.UUID,
        load: Callable[[uuid.UUID], Awaitable[Integration | None]],
    ) -> Integration | None:
        """The integration a webhook delivery names, as `load` reads it (the integration
        store's `for_intake`: None when unknown or its account is disabled). The row is
        shared between requests: read it, never change it."""
        cached = self._cache.integration(integration_id)
        self._lookups["integration", cached is not None].inc()
        if cached is not None:
            return cached
        generation = self._cache.generation
        found = await load(integration_id)
        if found is not None:
            self._cache.remember_integration(found, generation)
        return found

    def integration_changed(self, integration_id: uuid.UUID) -> None:
        """This gateway just changed the integration: its next delivery must not see the
        old row."""
        self._cache.forget_integration(integration_id)
