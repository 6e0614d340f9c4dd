"""The public side: what a published event looks like to people, and what never shows."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import httpx

from tests.examples import RICH
from tests.integration.conftest import MakeTenant, Tenant, eventually, listed_routes
from tests.integration.discovery_support import (
    EVENTS,
    VISIBLE_WITHIN_SECONDS,
    create_event,
    event_action,
    future_start,
    public_event,
    publish_channel,
)

API = "/api/discovery/v1"


class _Scripts(HTMLParser):
    """The JSON-LD blocks of a page, as a crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inside = tag == "script" and ("type", "application/ld+json") in attrs

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._inside = False


def json_ld(html: str) -> list[dict[str, Any]]:
    parser = _Scripts()
    parser.feed(html)
    return [json.loads(block) for block in parser.blocks]


async def test_a_published_event_shows_on_its_city_and_channel_pages_and_in_search(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    marker = uuid.uuid4().hex[:8]
    event_id = await create_event(api, tenant, title=f"Jazz night {marker}", **RICH)
    shown = await public_event(discovery, event_id)
    assert shown["title"] == f"Jazz night {marker}"
    assert shown["channel"]["slug"] == slug
    assert "sourceId" not in shown
    assert "sourceUpdatedAt" not in shown

    city = await discovery.get("/cities/place-new-york", params={"q": marker})
    channel = await discovery.get(f"/channels/{slug}")
    found = await discovery.get(f"{API}/events", params={"q": f"jazz {marker}"})
    for page in (city, channel):
        assert page.status_code == 200
        assert f'data-event-id="{event_id}"' in page.text
    assert [e["id"] for e in found.json()["docs"]] == [event_id]


async def test_the_event_page_carries_schema_org_json_ld_and_a_calendar_link(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, title="Harbour concert", **RICH)
    await public_event(discovery, event_id)
    page = await discovery.get(f"/events/{event_id}")
    assert page.status_code == 200
    (document,) = json_ld(page.text)
    assert document["@type"] == "Event"
    assert document["name"] == "Harbour concert"
    assert document["eventStatus"] == "https://schema.org/EventScheduled"
    assert document["location"]["name"] == "Pier 17"
    # The catalogue's name for place-new-york, whatever spelling the sender gave.
    assert document["location"]["address"]["addressLocality"] == "New York City"
    assert document["location"]["geo"]["latitude"] == 40.7057
    assert document["image"] == ["https://cdn.example.com/launch.jpg"]
    assert document["offers"][0]["url"] == "https://tickets.example.com/e/42"
    assert document["offers"][0]["priceCurrency"] == "USD"
    assert '<p class="price">$0.00\N{EN DASH}$25.50</p>' in page.text
    assert document["organizer"]["url"].endswith(f"/channels/{slug}")
    assert document["startDate"].endswith(("-04:00", "-05:00"))  # local, with its offset
    assert f'href="/events/{event_id}.ics"' in page.text or f"/events/{event_id}.ics" in page.text
    assert f"/channels/{slug}" in page.text
    ics = await discovery.get(f"/events/{event_id}.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert f"UID:{event_id}@pinned.events" in ics.text
    again = await discovery.get(
        f"/events/{event_id}.ics", headers={"If-None-Match": ics.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")  # calendar apps poll it


async def test_event_fields_are_escaped_and_pages_carry_a_strict_csp(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"'
    event_id = await create_event(api, tenant, title=hostile[:200], description=hostile)
    await public_event(discovery, event_id)
    page = await discovery.get(f"/events/{event_id}")
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    (document,) = json_ld(page.text)  # the title could not break out of the JSON-LD block
    assert document["name"] == hostile[:200]
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # none: default-src 'none' forbids every script
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_drafts_and_private_channels_never_appear(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    public, private = await make_tenant(), await make_tenant()
    await publish_channel(api, public)
    marker = uuid.uuid4().hex[:8]
    draft = await create_event(api, public, title=f"Draft {marker}", status="draft")
    hidden = await create_event(api, private, title=f"Private {marker}")
    unpublished = await create_event(api, public, title=f"Unpublished {marker}")
    await public_event(discovery, unpublished)
    await event_action(api, public, unpublished, "unpublish")
    # Once a later change is visible, the earlier ones have been projected too.
    sentinel = await create_event(api, public, title=f"Sentinel {marker}")
    await public_event(discovery, sentinel)
    await eventually(lambda: _gone(discovery, unpublished), within=VISIBLE_WITHIN_SECONDS)

    for event_id in (draft, hidden, unpublished):
        assert (await discovery.get(f"{API}/events/{event_id}")).status_code == 404
        assert (await discovery.get(f"/events/{event_id}")).status_code == 404
        assert (await discovery.get(f"/events/{event_id}.ics")).status_code == 404
    found = await discovery.get(f"{API}/events", params={"q": marker, "limit": 100})
    assert [e["title"] for e in found.json()["docs"]] == [f"Sentinel {marker}"]
    private_slug = f"channel-{private.channel_id}"
    assert (await discovery.get(f"/channels/{private_slug}")).status_code == 404
    assert (await discovery.get(f"/feeds/channels/{private_slug}.ics")).status_code == 404


async def _gone(discovery: httpx.AsyncClient, event_id: str) -> bool:
    return (await discovery.get(f"{API}/events/{event_id}")).status_code == 404


async def test_an_unlisted_channel_is_reachable_by_link_only(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant, visibility="unlisted")
    marker = uuid.uuid4().hex[:8]
    event_id = await create_event(api, tenant, title=f"Secret supper {marker}")
    await public_event(discovery, event_id)
    assert f'data-event-id="{event_id}"' in (await discovery.get(f"/channels/{slug}")).text
    assert (await discovery.get(f"/events/{event_id}")).status_code == 200
    searched = await discovery.get(f"{API}/events", params={"q": marker})
    assert searched.json()["docs"] == []
    channels = await discovery.get(f"{API}/channels", params={"q": slug})
    assert slug not in channels.text


async def test_a_cancelled_event_shows_as_cancelled_and_can_be_left_out(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    marker = uuid.uuid4().hex[:8]
    event_id = await create_event(api, tenant, title=f"Rained off {marker}")
    await public_event(discovery, event_id)
    await event_action(api, tenant, event_id, "cancel")
    shown = await public_event(discovery, event_id, status="cancelled")
    assert shown["status"] == "cancelled"
    page = await discovery.get(f"/events/{event_id}")
    assert "This event is cancelled." in page.text
    (document,) = json_ld(page.text)
    assert document["eventStatus"] == "https://schema.org/EventCancelled"
    kept = await discovery.get(f"{API}/events", params={"q": marker})
    dropped = await discovery.get(
        f"{API}/events", params={"q": marker, "includeCancelled": "false"}
    )
    assert [e["status"] for e in kept.json()["docs"]] == ["cancelled"]
    assert dropped.json()["docs"] == []


async def test_browse_by_city_radius_dates_classification_soonest_first_with_a_cursor(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    marker = uuid.uuid4().hex[:8]
    paris = {"city": {"placeId": "place-paris", "name": "Paris", "countryCode": "FR"}}
    made = {
        "ny-late": await create_event(api, tenant, title=f"{marker} late",
                                      startAt=future_start(40)),
        "ny-early": await create_event(api, tenant, title=f"{marker} early",
                                       startAt=future_start(20), classifications=["comedy"]),
        "ny-mid": await create_event(api, tenant, title=f"{marker} mid", startAt=future_start(30)),
        "paris": await create_event(api, tenant, title=f"{marker} paris", approxLocation=paris,
                                    timezone="Europe/Paris",
                                    startAt=future_start(30, zone="Europe/Paris")),
    }  # fmt: skip
    for event_id in made.values():
        await public_event(discovery, event_id)

    async def titles(**params: Any) -> list[str]:
        response = await discovery.get(f"{API}/events", params={"q": marker, **params})
        assert response.status_code == 200, response.text
        return [e["title"].removeprefix(f"{marker} ") for e in response.json()["docs"]]

    assert await titles(placeId="place-new-york") == ["early", "mid", "late"]
    assert await titles(placeId="place-paris") == ["paris"]
    # Times Square is ~5 km from the city's point; Paris is 5,800 km away.
    assert await titles(lat="40.758", lng="-73.9855", radiusKm="10") == ["early", "mid", "late"]
    assert await titles(lat="48.8566", lng="2.3522", radiusKm="10") == ["paris"]
    assert await titles(classification="comedy") == ["early"]
    day = future_start(30)[:10]
    assert await titles(placeId="place-new-york", **{"from": day, "to": day}) == ["mid"]

    first = await discovery.get(f"{API}/events", params={"q": marker, "limit": 2})
    body = first.json()
    assert body["hasNextPage"] is True
    rest = await discovery.get(
        f"{API}/events", params={"q": marker, "limit": 2, "cursor": body["nextCursor"]}
    )
    seen = [e["id"] for e in body["docs"] + rest.json()["docs"]]
    assert len(seen) == len(set(seen)) == 4
    assert rest.json()["hasNextPage"] is False
    other = await discovery.get(f"{API}/events", params={"q": "x", "cursor": body["nextCursor"]})
    assert other.status_code == 400
    assert other.json()["error"]["fields"][0]["path"] == "cursor"


async def test_a_classification_search_follows_changes_and_visibility_and_pages_on(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    """A classification alone is read from its own index (migration 0025), kept beside the
    read model: what it answers follows each event's changes, status and channel."""
    await publish_channel(api, tenant)
    marker = uuid.uuid4().hex[:8]
    days = 300 + uuid.UUID(hex=marker * 4).int % 60  # a day no other test uses
    made = [
        await create_event(api, tenant, title=f"{marker} {n}", classifications=["charity"],
                           startAt=future_start(days, hour=10 + n))
        for n in range(3)
    ]  # fmt: skip
    for event_id in made:
        await public_event(discovery, event_id)
    day = future_start(days)[:10]
    window = {"classification": "charity", "from": day, "to": day}

    async def titles(**params: Any) -> list[str]:
        response = await discovery.get(f"{API}/events", params={**window, **params})
        assert response.status_code == 200, response.text
        return [e["title"].removeprefix(f"{marker} ") for e in response.json()["docs"]]

    assert await titles() == ["0", "1", "2"]
    first = (await discovery.get(f"{API}/events", params={**window, "limit": 2})).json()
    rest = await discovery.get(f"{API}/events", params={**window, "cursor": first["nextCursor"]})
    assert [e["id"] for e in first["docs"] + rest.json()["docs"]] == made

    moved = await api.patch(f"{EVENTS}/{made[0]}", json={"classifications": ["music"]},
                            headers=tenant.headers)  # fmt: skip
    assert moved.status_code == 200, moved.text
    await event_action(api, tenant, made[1], "cancel")
    await public_event(discovery, made[1], status="cancelled")
    await eventually(lambda: _titles_are(titles, ["1", "2"]), within=VISIBLE_WITHIN_SECONDS)
    assert await titles(includeCancelled="false") == ["2"]
    assert await titles(classification="music") == ["0"]

    await publish_channel(api, tenant, visibility="private")
    await eventually(lambda: _titles_are(titles, []), within=VISIBLE_WITHIN_SECONDS)


async def _titles_are(titles: Any, expected: list[str]) -> bool:
    return bool(await titles() == expected)


async def test_free_text_reads_phrases_or_and_exclusions_as_docs_say(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    m = f"w{uuid.uuid4().hex[:10]}"  # a word only this test's events have
    titles = {"phrase": f"{m} jazz night", "apart": f"{m} night of jazz",
              "blues": f"{m} blues evening", "brunch": f"{m} jazz brunch"}  # fmt: skip
    ids = {name: await create_event(api, tenant, title=title) for name, title in titles.items()}
    for event_id in ids.values():
        await public_event(discovery, event_id)

    async def found(q: str) -> set[str]:
        response = await discovery.get(f"{API}/events", params={"q": q})
        assert response.status_code == 200, response.text
        names = {event_id: name for name, event_id in ids.items()}
        return {names[doc["id"]] for doc in response.json()["docs"]}

    assert await found(f"{m} jazz") == {"phrase", "apart", "brunch"}
    assert await found(f'{m} "jazz night"') == {"phrase"}
    assert await found(f"{m} jazz -night") == {"brunch"}
    assert await found(f"{m} jazz<->night") == {"brunch"}  # the '-' of '<->' excludes
    assert await found(f"{m} brunch or {m} blues") == {"blues", "brunch"}
    assert await found(f"{m} evenings") == {"blues"}  # stems
    assert await found("the and") == set()  # only words too common to index


async def test_bad_parameters_get_the_error_envelope_naming_them(
    discovery: httpx.AsyncClient,
) -> None:
    cases = {
        "placeId": "place-no-such-city-zz",
        "from": "12/06/2026",
        "lat": "91",
        "radiusKm": "5",
        "classification": "rave",
        "limit": "1000",
        "includeCancelled": "maybe",
        "cursor": "not-a-cursor",
        "clasification": "music",  # misspelt: refused, not silently unfiltered
    }
    for name, value in cases.items():
        response = await discovery.get(f"{API}/events", params={name: value})
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_query_parameter"
        assert error["fields"][0]["path"] == name
        assert error["requestId"]
    damaged = await discovery.get(f"{API}/events", params={"cursor": "not-a-cursor"})
    message = "Query parameter 'cursor' is damaged; start again without it."
    assert damaged.json()["error"]["message"] == message
    channels = await discovery.get(f"{API}/channels", params={"cursor": "bm90IG1pbmU"})
    assert channels.status_code == 400
    assert channels.json()["error"]["fields"][0]["path"] == "cursor"
    for name, value in (("limit", "0"), ("limit", "abc"), ("q", "x" * 201), ("sort", "name")):
        refused = await discovery.get(f"{API}/channels", params={name: value})
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["error"]["fields"][0]["path"] == name
    one = (await discovery.get(f"{API}/channels", params={"limit": "1"})).json()
    assert len(one["docs"]) <= 1
    # A parameter given twice would be one of them, unsaid: the JSON API refuses it.
    twice = [("placeId", "place-new-york"), ("placeId", "place-london")]
    for path in (f"{API}/events", f"{API}/channels", "/api/people/v1/me/feed"):
        repeated = await discovery.get(path, params=twice)
        assert repeated.status_code == 400, (path, repeated.text)
        assert repeated.json()["error"]["code"] == "invalid_query_parameter"
        assert repeated.json()["error"]["fields"][0]["path"] == "placeId"
    unknown = await discovery.get("/feeds/classifications/nope.json")
    assert unknown.status_code == 404
    assert "music, nightlife" in unknown.json()["error"]["message"]  # what exists, said here
    first = await discovery.get("/search", params=[("placeId", "place-new-york"), ("placeId", "x")])
    assert first.status_code == 200  # a page takes the first
    assert 'name="placeId" value="place-new-york"' in first.text
    page = await discovery.get("/search", params={"from": "tomorrow"})
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert "from" in page.text
    shared_link = await discovery.get("/search", params={"q": "jazz", "utm_source": "newsletter"})
    assert shared_link.status_code == 200  # pages ignore what links carry


async def test_public_channels_are_listed_and_searchable(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    listed, unlisted = await make_tenant(), await make_tenant()
    listed_slug = await publish_channel(api, listed)
    unlisted_slug = await publish_channel(api, unlisted, visibility="unlisted")

    async def name_part(tenant: Tenant) -> str:
        mine = await api.get("/api/public/v1/channels", headers=tenant.headers)
        return str(mine.json()["docs"][0]["name"]).split("-")[1]  # 'test-<hex>-<n> channel'

    found = await discovery.get(f"{API}/channels", params={"q": (await name_part(listed)).upper()})
    assert [c["slug"] for c in found.json()["docs"]] == [listed_slug]  # any part, any case
    hidden = await discovery.get(f"{API}/channels", params={"q": await name_part(unlisted)})
    assert hidden.json()["docs"] == []
    assert unlisted_slug
    one = await discovery.get(f"{API}/channels/{listed_slug}")
    assert one.status_code == 200
    assert one.json()["feeds"]["ical"].endswith(f"/feeds/channels/{listed_slug}.ics")
    assert (await discovery.get("/")).status_code == 200


async def test_channel_visibility_is_the_owners_to_change(
    api: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    owner, other = await make_tenant(), await make_tenant()
    path = f"/api/developer/v1/channels/{owner.channel_id}"
    foreign = await api.patch(path, json={"visibility": "public"}, headers=other.owner_headers)
    assert foreign.status_code == 404
    bad = await api.patch(path, json={"visibility": "everyone", "slug": "Not A Slug"},
                          headers=owner.owner_headers)  # fmt: skip
    assert bad.status_code == 422
    assert {f["path"] for f in bad.json()["error"]["fields"]} == {"visibility", "slug"}
    empty = await api.patch(path, json={}, headers=owner.owner_headers)
    assert empty.status_code == 422
    slug = f"taken-{uuid.uuid4().hex[:8]}"
    await publish_channel(api, other, slug=slug)
    taken = await api.patch(path, json={"slug": slug}, headers=owner.owner_headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"
    integration_key = await api.patch(path, json={"visibility": "public"}, headers=owner.headers)
    assert integration_key.status_code == 403
    done = await api.patch(path, json={"visibility": "public"}, headers=owner.owner_headers)
    assert done.json()["visibility"] == "public"
    assert re.fullmatch(r"/channels/channel-\d+", done.json()["publicPath"])


async def test_the_json_api_base_path_lists_what_is_served_under_it(
    discovery: httpx.AsyncClient,
) -> None:
    listed = await listed_routes(discovery, API, "docs/discovery.md")
    assert [endpoint for endpoint, _ in listed] == [
        {"method": "GET", "path": f"{API}/events"},
        {"method": "GET", "path": f"{API}/events/{{eventId}}"},
        {"method": "GET", "path": f"{API}/channels"},
        {"method": "GET", "path": f"{API}/channels/{{slug}}"},
        {"method": "GET", "path": f"{API}/events/{{eventId}}/attendance"},
    ]
    for endpoint, answer in listed:
        if answer is not None:  # no key needed: served as listed
            assert answer.status_code == 200, (endpoint, answer.text)
            assert "docs" in answer.json()
