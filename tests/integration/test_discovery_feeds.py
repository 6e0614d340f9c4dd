"""Feeds per channel, city and classification, read back by other libraries than the ones
that wrote them: `ics` for iCalendar, `feedparser` for Atom, and the JSON Feed 1.1 schema
(written from the spec, tests/schemas/) for JSON Feed, which feedparser 6 does not read."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import feedparser
import httpx
import ics
import jsonschema_rs

from tests.examples import RICH
from tests.integration.conftest import MakeTenant, Tenant, eventually
from tests.integration.discovery_support import (
    VISIBLE_WITHIN_SECONDS,
    create_event,
    event_action,
    future_start,
    public_event,
    publish_channel,
)

JSON_FEED_SCHEMA = jsonschema_rs.validator_for(
    json.loads((Path(__file__).parents[1] / "schemas" / "jsonfeed-1.1.schema.json").read_text()),
    validate_formats=True,
)


async def test_channel_feeds_in_three_formats_keep_a_cancelled_event_as_cancelled(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    kept = await create_event(api, tenant, title="Open air cinema", **RICH)
    called_off = await create_event(api, tenant, title="Rooftop party")
    await event_action(api, tenant, called_off, "cancel")
    await public_event(discovery, kept)
    await public_event(discovery, called_off, status="cancelled", version=2)
    feeds = f"/feeds/channels/{slug}"

    calendar_text = (await discovery.get(f"{feeds}.ics")).text
    calendar = ics.Calendar(calendar_text)
    by_uid = {event.uid: event for event in calendar.events}
    assert set(by_uid) == {f"{kept}@pinned.events", f"{called_off}@pinned.events"}
    assert by_uid[f"{called_off}@pinned.events"].status == "CANCELLED"
    assert by_uid[f"{kept}@pinned.events"].status == "CONFIRMED"
    assert by_uid[f"{kept}@pinned.events"].name == "Open air cinema"
    assert by_uid[f"{kept}@pinned.events"].location.startswith("Pier 17")
    assert "SEQUENCE:1" in _block(calendar_text, called_off)  # version 2: changed once
    assert "SEQUENCE:0" in _block(calendar_text, kept)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in calendar_text
    assert "X-PUBLISHED-TTL:PT1H" in calendar_text
    assert "BEGIN:VTIMEZONE\r\nTZID:America/New_York" in calendar_text
    assert "DTSTART;TZID=America/New_York:" in calendar_text

    atom = feedparser.parse((await discovery.get(f"{feeds}.atom")).content)
    assert atom.version == "atom10"
    assert not atom.bozo, atom.get("bozo_exception")
    titles = {entry.id: entry.title for entry in atom.entries}
    assert titles == {
        f"urn:uuid:{kept}": "Open air cinema",
        f"urn:uuid:{called_off}": "Cancelled: Rooftop party",
    }

    json_response = await discovery.get(f"{feeds}.json")
    assert json_response.headers["content-type"].startswith("application/feed+json")
    assert json_response.headers["content-encoding"] == "gzip"  # httpx asks for it; read as is
    jsonfeed = json_response.json()
    errors = [e.message for e in JSON_FEED_SCHEMA.iter_errors(jsonfeed)]
    assert not errors, errors
    assert {item["id"] for item in jsonfeed["items"]} == {kept, called_off}
    statuses = {item["id"]: item["_pinned"]["status"] for item in json_response.json()["items"]}
    assert statuses == {kept: "published", called_off: "cancelled"}


async def test_a_feed_changes_when_its_channel_does_and_answers_304_until_then(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    first = await create_event(api, tenant, title="First")
    await public_event(discovery, first)
    url = f"/feeds/channels/{slug}.ics"
    before = await discovery.get(url)
    etag = before.headers["etag"]
    unchanged = await discovery.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    for header in ("*", f'"other", W/{etag}'):  # RFC 9110: any; a list, weakly compared
        assert (await discovery.get(url, headers={"If-None-Match": header})).status_code == 304
    assert (await discovery.get(url, headers={"If-None-Match": '"other"'})).status_code == 200
    second = await create_event(api, tenant, title="Second")

    async def includes_second() -> bool:
        response = await discovery.get(url, headers={"If-None-Match": etag})
        return response.status_code == 200 and f"UID:{second}@pinned.events" in response.text

    await eventually(includes_second, within=VISIBLE_WITHIN_SECONDS)


async def test_city_and_classification_feeds_list_public_events_only(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    public, unlisted = await make_tenant(), await make_tenant()
    await publish_channel(api, public)
    await publish_channel(api, unlisted, visibility="unlisted")
    marker = uuid.uuid4().hex[:6]
    paris = {"city": {"placeId": "place-paris", "name": "Paris", "countryCode": "FR"}}
    shown = await create_event(api, public, title=f"Vernissage {marker}", approxLocation=paris,
                               timezone="Europe/Paris", classifications=["arts"],
                               startAt=_paris_start())  # fmt: skip
    unseen = await create_event(api, unlisted, title=f"Hidden {marker}", approxLocation=paris,
                                timezone="Europe/Paris", classifications=["arts"],
                                startAt=_paris_start())  # fmt: skip
    await public_event(discovery, shown)
    await public_event(discovery, unseen)
    for url in ("/feeds/cities/place-paris.json", "/feeds/classifications/arts.json"):
        ids = {item["id"] for item in (await discovery.get(url)).json()["items"]}
        assert shown in ids, url
        assert unseen not in ids, url
    assert (await discovery.get("/feeds/cities/place-nowhere-zz.ics")).status_code == 404
    assert (await discovery.get("/feeds/classifications/rave.atom")).status_code == 404
    assert (await discovery.get("/feeds/classifications/arts.rss")).status_code == 404


def _paris_start() -> str:
    return future_start(zone="Europe/Paris")


def _block(calendar: str, event_id: str) -> str:
    """The VEVENT of one event, unfolded."""
    text = calendar.replace("\r\n ", "")
    start = text.index(f"UID:{event_id}@pinned.events")
    begin = text.rindex("BEGIN:VEVENT", 0, start)
    return text[begin : text.index("END:VEVENT", start)]
