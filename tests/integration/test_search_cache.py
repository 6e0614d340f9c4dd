"""The JSON search's cache: a repeated search is answered from memory, and a change in its
scope is seen by the very next request once the read model has it, never later."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.conftest import ServiceProcess, Tenant, sample, scrape
from tests.integration.discovery_support import create_event, public_event, publish_channel

SEARCH = "/api/discovery/v1/events"
HITS = "pinned_discovery_search_cache_requests_total"


async def _hits(discovery: ServiceProcess) -> float:
    return sample(await scrape(discovery), HITS, result="hit")


async def test_a_repeated_search_is_cached_until_its_scope_changes(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    services: dict[str, ServiceProcess],
    tenant: Tenant,
) -> None:
    slug = await publish_channel(api, tenant)
    marker = uuid.uuid4().hex[:10]
    in_city = {"placeId": "place-new-york", "q": marker}
    anywhere = {"q": marker}
    for params in (in_city, anywhere):
        first = await discovery.get(SEARCH, params=params)
        assert first.json()["docs"] == []
        hits = await _hits(services["discovery"])
        again = await discovery.get(SEARCH, params=params)
        assert again.content == first.content
        assert await _hits(services["discovery"]) == hits + 1

    event_id = await create_event(api, tenant, title=f"Cache probe {marker}")
    await public_event(discovery, event_id)  # the read model has it: so must every search
    for params in (in_city, anywhere):
        found = await discovery.get(SEARCH, params=params)
        assert [doc["id"] for doc in found.json()["docs"]] == [event_id], params
        assert found.json()["docs"][0]["channel"]["slug"] == slug

    renamed = await publish_channel(api, tenant, slug=f"renamed-{marker}")
    for params in (in_city, anywhere):
        found = await discovery.get(SEARCH, params=params)
        assert found.json()["docs"][0]["channel"]["slug"] == renamed, params

    await publish_channel(api, tenant, visibility="private", slug=renamed)
    for params in (in_city, anywhere):
        assert (await discovery.get(SEARCH, params=params)).json()["docs"] == [], params
