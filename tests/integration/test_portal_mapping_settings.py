"""An integration's mapping settings in the portal, over HTTP on the real stack: a Strapi
integration created with its media base URL; the media base URL, locale, value maps and
identity saved with the mapping and shown again; refused as the developer API refuses them
(the same paths and messages: one service layer); and previewed as typed, before saving."""

from __future__ import annotations

import json
import re
import uuid
from html import unescape
from typing import Any

import asyncpg
import httpx

from shared.adapters import key_store
from shared.domain.api_keys import OWNER_SCOPES
from tests import rich_senders as rich
from tests.integration.portal_support import PORTAL, Owner, csrf_of, post_form
from tests.integration.test_portal_pages import connect_strapi

MEDIA = "https://cms.example.org"
AT = "2026-05-01T10:00:00.000Z"


def strapi_delivery(doc: str, title: str = "Heuriger Night & Wine") -> dict[str, str]:
    """A Strapi 5 entry.publish as Strapi sends it: a cover with the local upload provider's
    relative URL, categories from an enumeration, a city by its local name."""
    entry = rich.strapi_entry(5, doc, title, AT, True)
    body = {"event": "entry.publish", "createdAt": AT, "model": "event",
            "uid": "api::event.event", "entry": entry}  # fmt: skip
    return {"sample": json.dumps(body)}


def settings_form(**settings: str) -> dict[str, str]:
    return {f"mappingSettings.{name}": value for name, value in settings.items()}


VALUE_MAPS = json.dumps({"categories": rich.CATEGORY_MAP})


def problems_on(page: httpx.Response) -> dict[str, str]:
    """The fields to fix a page shows: path -> message."""
    found = re.findall(r"<li><code>([^<]+)</code>: ([^<]*)</li>", page.text)
    return {unescape(path): unescape(message) for path, message in found}


def event_on(fragment: httpx.Response) -> dict[str, Any]:
    """The event a preview shows, read back from its text."""
    shown = re.search(r'<pre class="event-json">(.*?)</pre>', fragment.text, re.S)
    assert shown, fragment.text
    event: dict[str, Any] = json.loads(unescape(shown.group(1)))
    return event


async def stored_settings(db: asyncpg.Pool, integration_id: str) -> dict[str, Any]:
    stored = await db.fetchval(
        "SELECT mapping_settings::text FROM integrations WHERE id = $1", uuid.UUID(integration_id)
    )
    settings: dict[str, Any] = json.loads(stored)
    return settings


async def test_a_strapi_integration_is_created_with_its_media_base_url(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    form_page = f"{PORTAL}/integrations/new?source=strapi"
    assert 'name="mappingSettings.mediaBaseUrl"' in (await browser.get(form_page)).text
    channel = await db.fetchval(
        "SELECT id FROM channels WHERE owner_account_id = $1", owner.account_id
    )
    fields = {"source": "strapi", "name": "Strapi site", "channelId": str(channel),
              "defaultClassification": "music"}  # fmt: skip
    fields["mappingSettings.mediaBaseUrl"] = "cms.example.org"
    refused = await post_form(browser, form_page, f"{PORTAL}/integrations", fields)
    assert refused.status_code == 422
    assert "mappingSettings.mediaBaseUrl" in problems_on(refused)
    assert 'value="cms.example.org"' in refused.text  # shown again, as typed

    fields["mappingSettings.mediaBaseUrl"] = MEDIA
    made = await post_form(browser, form_page, f"{PORTAL}/integrations", fields)
    assert made.status_code == 303, made.text[:800]
    steps = (await browser.get(made.headers["location"])).text
    assert f"joined to {MEDIA}, this integration" in steps  # where images resolve
    integration_id = made.headers["location"].rsplit("/", 1)[1]
    assert await stored_settings(db, integration_id) == {"mediaBaseUrl": MEDIA}
    page = f"{PORTAL}/integrations/{integration_id}"
    opened = await browser.get(page)
    assert f'name="mappingSettings.mediaBaseUrl" inputmode="url" value="{MEDIA}"' in opened.text
    # The form as the browser posts it: with the settings' inputs as the page filled them.
    typed = {**strapi_delivery("1"), **settings_form(mediaBaseUrl=MEDIA)}
    shown = await post_form(browser, page, f"{page}/preview", typed)
    assert 'data-outcome="accepted"' in shown.text, shown.text[:3000]
    assert f"{MEDIA}/uploads/heuriger_4f1.jpg" in shown.text


async def test_settings_are_saved_with_the_mapping_and_shown_again(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    integration_id, _ = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    kinds = json.dumps({"kinds": {"values": {"Food & Drink": "food-drink"}, "unmapped": "keep"}})
    saved = await post_form(browser, page, f"{page}/mapping", {
        "map.classifications": "value_map(entry.kind, 'kinds')",  # a map the same form defines
        **settings_form(mediaBaseUrl=MEDIA, locale="de-AT", valueMaps=kinds,
                        **{"identity.version": "entry.updatedAt"}),
    })  # fmt: skip
    assert saved.status_code == 303, problems_on(saved)
    assert await stored_settings(db, integration_id) == {
        "mediaBaseUrl": MEDIA,
        "locale": "de-AT",
        "valueMaps": {"kinds": {"values": {"Food & Drink": "food-drink"}, "unmapped": "keep"}},
        "identity": {"version": "entry.updatedAt"},
    }
    shown = (await browser.get(saved.headers["location"])).text
    assert "Saved: the next delivery is mapped this way." in shown
    assert f'name="mappingSettings.mediaBaseUrl" inputmode="url" value="{MEDIA}"' in shown
    assert 'name="mappingSettings.locale" value="de-AT"' in shown
    assert 'value="entry.updatedAt"' in shown
    assert "&#34;Food &amp; Drink&#34;: &#34;food-drink&#34;" in shown  # the maps as JSON

    emptied = await post_form(browser, page, f"{page}/mapping", {})
    assert emptied.status_code == 303  # an emptied form is the sender's defaults, no settings
    assert await stored_settings(db, integration_id) == {}


async def test_bad_settings_are_refused_as_the_developer_api_refuses_them(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, _ = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    before = await stored_settings(db, integration_id)

    not_json = await post_form(browser, page, f"{page}/mapping",
                               settings_form(valueMaps='{"categories": {"values": }'))  # fmt: skip
    assert not_json.status_code == 422
    assert problems_on(not_json)["mappingSettings.valueMaps"].startswith("not JSON: ")
    assert "{&#34;categories&#34;: {&#34;values&#34;: }</textarea>" in not_json.text  # as typed

    async with db.acquire() as conn:
        issued = await key_store.issue(conn, owner.account_id, "api", OWNER_SCOPES, actor="tests")
    developer_api = f"/api/developer/v1/integrations/{integration_id}"
    bad_maps = {"categories": {"food_and_drink": "food-drink"}, "kinds": {"values": {},
                "unmapped": "ignore"}}  # fmt: skip
    cases: list[tuple[dict[str, str], dict[str, Any], dict[str, str]]] = [
        (settings_form(valueMaps=json.dumps(bad_maps)), {"valueMaps": bad_maps}, {}),
        (settings_form(mediaBaseUrl="http://cms.example.org"),
         {"mediaBaseUrl": "http://cms.example.org"}, {}),
        (settings_form(**{"identity.documentId": "entry.[["}),
         {"identity": {"documentId": "entry.[["}}, {}),
        ({}, {}, {"classifications": "value_map(entry.category, 'kinds')"}),
    ]  # fmt: skip
    named = set()
    for form, settings, mapping in cases:
        typed = {**form, **{f"map.{field}": text for field, text in mapping.items()}}
        refused = await post_form(browser, page, f"{page}/mapping", typed)
        assert refused.status_code == 422, form
        answer = await api.patch(
            developer_api,
            json={"mapping": mapping, "mappingSettings": settings},
            headers={"Authorization": f"Bearer {issued.token}"},
        )
        assert answer.status_code == 422, answer.text
        expected = {f["path"]: f["message"] for f in answer.json()["error"]["fields"]}
        assert problems_on(refused) == expected
        named |= set(expected)
    assert {"mappingSettings.valueMaps.categories.values",  # the map named, and what to fix
            "mappingSettings.valueMaps.kinds.unmapped", "mappingSettings.mediaBaseUrl",
            "mappingSettings.identity", "mapping.classifications"} <= named  # fmt: skip
    assert await stored_settings(db, integration_id) == before  # nothing was saved


async def test_the_preview_follows_the_settings_as_typed(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    integration_id, _ = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    csrf = csrf_of(await browser.get(page))

    async def preview(fields: dict[str, str]) -> httpx.Response:
        return await browser.post(f"{page}/preview", data={"csrf": csrf, **fields},
                                  headers={"X-Portal-Fragment": "preview"})  # fmt: skip

    sample = strapi_delivery("2")
    without = await preview(sample)
    assert 'data-outcome="invalid"' in without.text
    assert "relative URL; set the integration&#39;s mediaBaseUrl" in without.text
    typed = await preview({**sample, **settings_form(mediaBaseUrl=MEDIA, valueMaps=VALUE_MAPS)})
    assert 'data-outcome="accepted"' in typed.text, typed.text
    event = event_on(typed)
    assert event["title"] == "Heuriger Night & Wine"
    assert "&#34;title&#34;: &#34;Heuriger Night &amp; Wine&#34;" in typed.text  # not \u0026
    assert event["images"][0]["url"] == f"{MEDIA}/uploads/heuriger_4f1.jpg"
    assert event["classifications"] == ["food-drink", "music"]
    refused = await preview({**sample, **settings_form(valueMaps='{"categories": []}')})
    assert refused.status_code == 422
    assert "mappingSettings.valueMaps.categories" in unescape(refused.text)
    assert await stored_settings(db, integration_id) == {}  # a preview saves nothing
