"""A description as people see it: its Markdown rendered safely on the event page, as plain
text in JSON-LD and iCalendar, as sanitized HTML and text in Atom and JSON Feed."""

from __future__ import annotations

import feedparser
import httpx
import icalendar

from tests.integration.conftest import Tenant
from tests.integration.discovery_support import create_event, public_event, publish_channel
from tests.integration.test_discovery import json_ld

DESCRIPTION = (
    "Bring a **laptop** and *snacks*.\nDoors at 7.\n\n"
    "- [Programme](https://jazz.example.com/programme)\n- Bar opens at 6"
)
TEXT = (
    "Bring a laptop and snacks.\nDoors at 7.\n\n"
    "- Programme (https://jazz.example.com/programme)\n- Bar opens at 6"
)
HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> "
    '[click](javascript:alert(3)) <a href="javascript:alert(4)" onclick=alert(5)>a</a> '
    "<style>body{display:none}</style> <iframe src=https://evil.example></iframe>"
)


async def test_the_event_page_renders_the_description_and_json_ld_has_its_text(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, title="Jam session", description=DESCRIPTION)
    assert (await public_event(discovery, event_id))["description"] == DESCRIPTION  # stored

    page = await discovery.get(f"/events/{event_id}")
    assert "Bring a <strong>laptop</strong> and <em>snacks</em>.<br>" in page.text
    assert (
        '<a href="https://jazz.example.com/programme" rel="nofollow ugc noopener">Programme</a>'
        in page.text
    )
    assert "**" not in page.text
    (document,) = json_ld(page.text)
    assert document["description"] == TEXT

    calendar = icalendar.Calendar.from_ical((await discovery.get(f"/events/{event_id}.ics")).text)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith(TEXT + "\n\n")  # then its channel's link


async def test_feeds_carry_the_description_as_html_and_as_text(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, title="Jam session", description=DESCRIPTION)
    await public_event(discovery, event_id)
    feeds = f"/feeds/channels/{slug}"

    (entry,) = feedparser.parse((await discovery.get(f"{feeds}.atom")).content).entries
    (content,) = entry.content
    assert content.type == "text/html"
    assert "Bring a <strong>laptop</strong>" in content.value
    assert f'href="http://127.0.0.1:{discovery.base_url.port}/channels/{slug}"' in content.value

    (item,) = (await discovery.get(f"{feeds}.json")).json()["items"]
    assert '<li><a href="https://jazz.example.com/programme"' in item["content_html"]
    assert item["content_text"].startswith(TEXT + "\n\n")

    calendar = icalendar.Calendar.from_ical((await discovery.get(f"{feeds}.ics")).text)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith(TEXT + "\n\n")


async def test_a_hostile_description_cannot_run_anything_anywhere(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, title="Hostile", description=HOSTILE)
    await public_event(discovery, event_id)

    page = await discovery.get(f"/events/{event_id}")
    body = page.text.split('<div class="description">', 1)[1].split("</div>", 1)[0]
    for unsafe in ("<script", "<img", "<iframe", "<style", "onerror", "onclick", 'href="java'):
        assert unsafe not in body.lower(), body
    assert "default-src 'none'" in page.headers["content-security-policy"]
    (document,) = json_ld(page.text)
    assert "<script" not in document["description"]

    # As written: feedparser would otherwise sanitize it again.
    atom = (await discovery.get(f"/feeds/channels/{slug}.atom")).content
    atom_html = feedparser.parse(atom, sanitize_html=False).entries[0].content[0].value
    json_feed = (await discovery.get(f"/feeds/channels/{slug}.json")).json()
    for html in (atom_html, json_feed["items"][0]["content_html"]):
        for unsafe in ("<script", "<img", "<iframe", "<style", "onerror", "onclick"):
            assert unsafe not in html.lower(), html
        assert 'href="javascript' not in html.lower(), html
