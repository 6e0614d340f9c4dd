"""The search cache's own rules: which scope a search hangs on, versions read before the
search runs, and the byte bound."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.discovery.projector.rows import scopes_of
from services.discovery.queries.search import Near, Position, SearchQuery
from services.discovery.queries.search_cache import SearchCache, search_scope


class Scopes:
    """discovery_scopes as a dict; records what was read when."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.log: list[str] = []

    async def read(self, names: list[str]) -> dict[str, int]:
        self.log.append("versions")
        return {n: self.versions[n] for n in names if n in self.versions}

    def bump(self, *names: str) -> None:
        for name in names:
            self.versions[name] = self.versions.get(name, 0) + 1


class Search:
    """Stands in for running the search: answers `body`, counts runs."""

    def __init__(self, scopes: Scopes, body: bytes = b'{"docs":[]}') -> None:
        self.scopes, self.body, self.runs = scopes, body, 0

    async def __call__(self) -> bytes:
        self.scopes.log.append("search")
        self.runs += 1
        return self.body


def test_a_search_hangs_on_its_narrowest_scope_which_the_projector_bumps() -> None:
    cases = {
        SearchQuery(channel_id=7, place_id="place-paris", text="jazz"): "channel:7",
        SearchQuery(place_id="place-paris", classification="music"): "place:place-paris",
        SearchQuery(classification="music", text="jazz"): "classification:music",
        SearchQuery(text="jazz"): "events",
        SearchQuery(near=Near(48.85, 2.35, 10)): "events",
    }
    touched = scopes_of(7, "place-paris", ["music"])
    for query, scope in cases.items():
        assert search_scope(query) == scope
        assert scope in touched  # an event matching any of them moves that version


async def test_answers_are_reused_until_a_version_moves() -> None:
    scopes = Scopes()
    search = Search(scopes)
    cache = SearchCache(scopes.read, max_bytes=10_000)
    query = SearchQuery(place_id="place-paris", date_from=date(2027, 1, 1))
    assert await cache.answer(query, "http://a", search) == search.body
    assert await cache.answer(query, "http://a", search) == search.body
    assert search.runs == 1
    assert scopes.log == ["versions", "search", "versions"]  # versions first, every time
    scopes.bump("place:place-berlin")  # another city: still a hit
    await cache.answer(query, "http://a", search)
    assert search.runs == 1
    for moved in ("place:place-paris", "channels"):
        scopes.bump(moved)
        await cache.answer(query, "http://a", search)
        await cache.answer(query, "http://a", search)
    assert search.runs == 3


async def test_the_page_and_the_base_url_are_part_of_the_answer() -> None:
    scopes = Scopes()
    search = Search(scopes)
    cache = SearchCache(scopes.read, max_bytes=10_000)
    query = SearchQuery(text="jazz")
    later = SearchQuery(text="jazz", after=Position(datetime(2027, 1, 1, tzinfo=UTC), uuid.uuid4()))
    await cache.answer(query, "http://a", search)
    await cache.answer(later, "http://a", search)
    await cache.answer(query, "https://b", search)
    assert search.runs == 3


async def test_the_cache_keeps_at_most_its_bytes_dropping_the_least_recent() -> None:
    scopes = Scopes()
    search = Search(scopes, body=b"x" * 400)
    cache = SearchCache(scopes.read, max_bytes=1_000)
    first, second, third = (SearchQuery(text=word) for word in ("a", "b", "c"))
    await cache.answer(first, "", search)
    await cache.answer(second, "", search)
    await cache.answer(first, "", search)  # a hit: now the most recent
    await cache.answer(third, "", search)  # 1,200 bytes: `second` goes
    assert cache.size_bytes == 800
    assert search.runs == 3
    await cache.answer(first, "", search)
    assert search.runs == 3
    await cache.answer(second, "", search)
    assert search.runs == 4


async def test_no_bytes_means_every_search_runs() -> None:
    scopes = Scopes()
    search = Search(scopes)
    cache = SearchCache(scopes.read, max_bytes=0)
    for _ in range(3):
        await cache.answer(SearchQuery(text="jazz"), "", search)
    assert search.runs == 3
    assert "versions" not in scopes.log
