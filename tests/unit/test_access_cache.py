"""The gateway's access cache: entries expire, announcements drop them, a read that raced a
change is not remembered, and nothing is served while announcements may be missed."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from services.gateway.access.cache import AccessCache
from services.gateway.adapters.events import KeyRecord


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def key(prefix: str = "ABCD1234") -> KeyRecord:
    return KeyRecord(uuid.uuid4(), 1, prefix, b"hash", frozenset({"events:create"}), "active", None)


def live_cache(ttl: float = 2.0) -> tuple[AccessCache, Clock]:
    clock = Clock()
    cache = AccessCache(ttl, clock=clock)
    cache.go_live()
    return cache, clock


def test_an_entry_lives_until_its_ttl() -> None:
    cache, clock = live_cache()
    record = key()
    cache.remember_key(record, cache.generation)
    cache.remember_channel_access(1, 7, True, cache.generation)
    clock.now += 1.9
    assert (cache.key(record.prefix), cache.channel_access(1, 7)) == (record, True)
    clock.now += 0.2
    assert (cache.key(record.prefix), cache.channel_access(1, 7)) == (None, None)


def test_announcements_drop_only_what_changed() -> None:
    cache, _ = live_cache()
    one, two = key("AAAA1111"), key("BBBB2222")
    for record in (one, two):
        cache.remember_key(record, cache.generation)
    cache.remember_channel_access(1, 7, True, cache.generation)
    cache.remember_channel_access(1, 8, True, cache.generation)

    cache.changed("key:AAAA1111")
    cache.changed("channel:7")
    assert (cache.key("AAAA1111"), cache.key("BBBB2222")) == (None, two)
    assert (cache.channel_access(1, 7), cache.channel_access(1, 8)) == (None, True)

    cache.changed("something new")  # an announcement it does not understand clears all
    assert (cache.key("BBBB2222"), cache.channel_access(1, 8)) == (None, None)


def test_refusals_are_never_remembered() -> None:
    # Enabling a key or granting a channel must work at once, on every gateway.
    cache, _ = live_cache()
    disabled = dataclasses.replace(key(), status="disabled")
    cache.remember_key(disabled, cache.generation)
    cache.remember_channel_access(1, 7, False, cache.generation)
    assert (cache.key(disabled.prefix), cache.channel_access(1, 7)) == (None, None)


def test_a_key_this_gateway_changed_is_forgotten_at_once() -> None:
    cache, _ = live_cache()
    changed, kept = key("AAAA1111"), key("BBBB2222")
    for record in (changed, kept):
        cache.remember_key(record, cache.generation)
    read_started = cache.generation
    cache.forget_key(changed.id)
    cache.remember_key(changed, read_started)  # a read that began before the change
    assert (cache.key("AAAA1111"), cache.key("BBBB2222")) == (None, kept)


def test_a_read_that_raced_a_change_is_not_remembered() -> None:
    cache, _ = live_cache()
    before_read = cache.generation
    cache.changed("key:ABCD1234")  # committed while the database read was in flight
    cache.remember_key(key(), before_read)
    assert cache.key("ABCD1234") is None


def test_nothing_is_served_or_kept_without_announcements() -> None:
    cache, _ = live_cache()
    record = key()
    cache.remember_key(record, cache.generation)
    cache.go_dark()
    assert cache.key(record.prefix) is None
    cache.remember_key(record, cache.generation)
    cache.go_live()  # what was announced meanwhile is unknown: start empty
    assert cache.key(record.prefix) is None


def test_a_zero_ttl_disables_caching() -> None:
    cache, _ = live_cache(ttl=0)
    cache.remember_key(key(), cache.generation)
    assert cache.key("ABCD1234") is None


def test_memory_is_bounded() -> None:
    cache = AccessCache(2.0, max_entries=3, clock=Clock())
    cache.go_live()
    for number in range(3):
        cache.remember_key(key(f"KEY{number:05d}"), cache.generation)
    cache.remember_key(key("KEY99999"), cache.generation)
    assert cache.key("KEY99999") is None
    assert cache.key("KEY00000") is None


def integration(
    status: str = "active", previous_secret_until: datetime | None = None
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "status": status,
        "secrets": ["current"],
        "previous_secret_until": previous_secret_until,
    }


def test_an_active_integration_is_remembered_until_announced_or_forgotten() -> None:
    cache, clock = live_cache()
    one, two, paused = integration(), integration(), integration("paused")
    for row in (one, two, paused):
        cache.remember_integration(row, cache.generation)
    assert cache.integration(paused["id"]) is None  # only what lets a delivery through
    assert (cache.integration(one["id"]), cache.integration(two["id"])) == (one, two)

    cache.changed(f"integration:{one['id']}")
    assert (cache.integration(one["id"]), cache.integration(two["id"])) == (None, two)
    cache.forget_integration(two["id"])  # this gateway changed it
    assert cache.integration(two["id"]) is None

    three = integration()
    cache.remember_integration(three, cache.generation)
    cache.changed("integration:not-a-uuid")  # not understood: everything goes
    assert cache.integration(three["id"]) is None
    cache.remember_integration(three, cache.generation)
    clock.now += 2.1
    assert cache.integration(three["id"]) is None


def test_an_integration_is_not_remembered_past_its_previous_secrets_overlap() -> None:
    cache, clock = live_cache(ttl=600)
    overlapping = integration(previous_secret_until=datetime.now(UTC) + timedelta(seconds=30))
    cache.remember_integration(overlapping, cache.generation)
    clock.now += 29
    assert cache.integration(overlapping["id"]) == overlapping
    clock.now += 2  # the overlap has ended: read afresh, without the previous secret
    assert cache.integration(overlapping["id"]) is None


def test_an_integration_read_that_raced_a_change_is_not_remembered() -> None:
    cache, _ = live_cache()
    row = integration()
    generation = cache.generation
    cache.changed(f"integration:{row['id']}")
    cache.remember_integration(row, generation)
    assert cache.integration(row["id"]) is None
