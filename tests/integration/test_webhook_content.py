"""Real CMS content comes through whole, on the real stack: per sender, a delivery in its exact
format carrying rich text, a city by name, the site's categories, an image and a ticket link
becomes a stored event that carries all of them, with the sender's default mapping (or, for
content models without a fixed place, the documented one in docs/webhooks.md). And the
quirks: WooCommerce's ping, gzip bodies, a city we cannot resolve, WordPress's zero dates,
Strapi 5's double delete, preview and replay."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.stack import Servers
from tests import rich_senders as rich
from tests import rich_text_samples as samples
from tests.integration.conftest import Tenant, eventually
from tests.integration.test_dlq_cli import pinned
from tests.integration.test_key_cli import pinned as run_cli
from tests.integration.test_webhooks import INTEGRATIONS, deliveries
from tests.unit.test_rich_senders import FLAT, TEC_TEXT
from tests.webhook_senders import sign

TITLE, AT = "Heuriger Night & Wine", "2026-05-01T10:00:00.000Z"
SETTINGS = {
    "valueMaps": {"categories": rich.CATEGORY_MAP},
    "mediaBaseUrl": "https://cms.example.org",
}
WP_IMAGE = "https://example.com/wp-content/uploads/2026/05/heuriger.jpg"
STRAPI_IMAGE = "https://cms.example.org/uploads/heuriger_4f1.jpg"


def _strapi(version: int, doc: str) -> dict[str, Any]:
    entry = rich.strapi_entry(version, doc, TITLE, AT, True)
    return {"event": "entry.publish", "createdAt": AT, "model": "event",
            "uid": "api::event.event", "entry": entry}  # fmt: skip


WP_CITY = {"approxLocation.city": "place(acf_data.venue_city, acf_data.venue_country)"}
STANDARD = {
    "title": "data.title",
    "description": "rich_text(data.description)",
    "startAt": "data.startAt",
    "approxLocation.city": "place(data.city, data.country)",
    "classifications": "value_map(data.categories, 'categories')",
    "images": "images(data.image)",
    "ticketLinks": "ticket_links(data.ticketUrl, 'Tickets')",
}
# (case, source, body, headers, query, mapping, description, image)
CASES: list[tuple[str, str, dict[str, Any], dict[str, str], str, dict[str, str], str, str]] = [
    ("tec", "wordpress", rich.tec_event("123", TITLE, AT),
     {"X-WC-Webhook-Topic": "event.updated", "X-WC-Webhook-Delivery-ID": "77"}, "", {},
     TEC_TEXT, WP_IMAGE),
    ("wp-post", "wordpress", rich.wp_post("124", TITLE, AT, "publish"),
     {"X-WP-Webhook-Source": "https://example.com/"}, "action=post_update",
     WP_CITY,
     samples.WORDPRESS_TEXT, WP_IMAGE),
    ("strapi5", "strapi", _strapi(5, "1"), {}, "", {}, samples.STRAPI_BLOCKS_TEXT, STRAPI_IMAGE),
    ("strapi4", "strapi", _strapi(4, "2"), {}, "", {}, samples.STRAPI4_TEXT, STRAPI_IMAGE),
    ("sanity", "sanity", rich.sanity_projection("doc-1", TITLE, AT),
     {"sanity-document-id": "doc-1", "sanity-operation": "update", "idempotency-key": "k-1"},
     "", {}, samples.PORTABLE_TEXT_TEXT,
     "https://cdn.sanity.io/images/abc123/production/heuriger-1200x800.jpg"),
    ("contentful", "contentful",
     {"sys": {"id": "e1", "type": "Entry", "updatedAt": AT},
      "fields": rich.contentful_fields(TITLE)},
     {"x-contentful-topic": "ContentManagement.Entry.publish"}, "", {}, samples.CONTENTFUL_TEXT,
     "https://images.ctfassets.net/space1/asset1/v1/heuriger.jpg"),
    ("webflow", "webflow",
     {"triggerType": "collection_item_changed",
      "payload": {"id": "w1", "lastUpdated": AT, "isDraft": False, "isArchived": False,
                  "fieldData": rich.webflow_field_data("w1", TITLE)}},
     {}, "", {}, samples.WEBFLOW_TEXT, "https://cdn.prod.website-files.com/6542/heuriger.jpg"),
    ("generic", "generic", {"id": "crm-1", **rich.flat_record(TITLE)}, {}, "", FLAT,
     "Young wine and **live music**.", "https://crm.example.org/files/heuriger.jpg"),
    # Standard Webhooks with the id where this CRM keeps it (identity.documentId).
    ("standard", "standard",
     {"type": "event.updated", "data": {"event": {"uuid": "u-1"}, **rich.flat_record(TITLE)}},
     {}, "", STANDARD,
     "Young wine and **live music**.", "https://crm.example.org/files/heuriger.jpg"),
]  # fmt: skip


async def connect(
    api: httpx.AsyncClient, tenant: Tenant, source: str, mapping: dict[str, str], **extra: Any
) -> dict[str, Any]:
    settings: dict[str, Any] = {**SETTINGS, **extra.pop("settings", {})}
    spec = {"name": f"{source} site", "source": source, "channelId": tenant.channel_id,
            "mapping": mapping, "mappingSettings": settings,
            "defaults": {"timezone": "America/New_York", "classifications": ["community"]},
            **extra}  # fmt: skip
    if source in ("contentful", "webflow"):
        spec["secret"] = f"{source}-signing-secret-0123456789abcdef"
    response = await api.post(INTEGRATIONS, json=spec, headers=tenant.owner_headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def send(
    api: httpx.AsyncClient, integration: dict[str, Any], body: dict[str, Any] | bytes,
    headers: dict[str, str], query: str = "",
) -> httpx.Response:  # fmt: skip
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    path = integration["webhookPath"]
    base = {"Content-Type": "application/json", **headers}
    signed = sign(integration["source"], raw, integration["secret"], path, base)
    return await api.post(path + (f"?{query}" if query else ""), content=raw, headers=signed)


async def note_everywhere(
    api: httpx.AsyncClient,
    tenant: Tenant,
    integration: dict[str, Any],
    answer: httpx.Response,
    code: str,
) -> list[dict[str, str]]:
    """A delivery's note with `code` as its answer, the deliveries log and a preview of it
    show it (StopIteration where one of them lacks it)."""
    preview = await api.post(
        f"{INTEGRATIONS}/{integration['id']}/preview",
        json={"deliveryId": answer.json()["deliveryId"]},
        headers=tenant.owner_headers,
    )
    (logged,) = await deliveries(api, tenant, integration["id"])
    shown = [answer.json()["notes"], logged["notes"], preview.json()["notes"]]
    return [next(n for n in notes if n["code"] == code) for notes in shown]


async def event_of(api: httpx.AsyncClient, tenant: Tenant, event_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        response = await api.get(f"/api/public/v1/events/{event_id}", headers=tenant.headers)
        return response.json() if response.status_code == 200 else None

    event: dict[str, Any] = await eventually(found)
    return event


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
async def test_realistic_content_becomes_a_complete_event(
    case: tuple[Any, ...], api: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, source, body, headers, query, mapping, description, image = case
    settings = {"identity": {"documentId": "data.event.uuid"}} if source == "standard" else {}
    integration = await connect(api, tenant, source, mapping, settings=settings)
    response = await send(api, integration, body, headers, query)
    assert response.status_code == 202, response.text
    event = await event_of(api, tenant, response.json()["eventId"])
    assert event["title"] == TITLE
    assert event["description"] == description
    assert event["approxLocation"] == rich.EXPECTED["approxLocation"]
    assert event["timezone"] == "Europe/Vienna"
    assert event["startAt"] == rich.EXPECTED["startAt"]
    assert event["classifications"] == rich.EXPECTED["classifications"]
    assert event["images"][0]["url"] == image
    assert event["images"][0]["alt"]
    assert event["ticketLinks"] == [{"url": rich.TICKETS, "label": "Tickets"}]
    if case[0] == "tec":
        assert event["venue"]["name"] == "Weingut Wieninger"
        assert event["price"] == {"min": 25, "max": 25, "currency": "EUR"}
    if source == "standard":
        assert event["sourceId"] == "u-1"


async def test_an_unresolvable_city_is_a_field_error_not_the_default(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "strapi", {})
    body = _strapi(4, "9")
    body["entry"]["city"] = "Atlantis"
    answer = (await send(api, integration, body, {})).json()
    assert answer["status"] == "invalid"
    (field,) = answer["fields"]  # one problem, one error: not approxLocation missing too
    assert (field["path"], field["code"]) == ("approxLocation.city", "unknown_place")
    assert "place(entry.city" in field["message"]


async def test_an_image_described_by_the_title_is_a_note_of_the_answer_log_and_preview(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "generic", FLAT)
    body = {"id": "crm-alt", **rich.flat_record(TITLE)}
    body["image"] = {"url": "https://crm.example.org/files/heuriger.jpg"}  # no alt text
    answer = await send(api, integration, body, {})
    assert answer.status_code == 202, answer.text
    event = await event_of(api, tenant, answer.json()["eventId"])
    assert event["images"][0]["alt"] == TITLE
    for alt in await note_everywhere(api, tenant, integration, answer, "alt_from_title"):
        assert alt["path"] == "images.0.alt"
        assert "title" in alt["message"]


async def test_woocommerce_ping_is_answered_200_and_other_unsigned_bodies_401(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "wordpress", {})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ping = await api.post(integration["webhookPath"], content=b"webhook_id=12", headers=form)
    assert (ping.status_code, ping.json()["status"]) == (200, "ping")
    for body in (b"webhook_id=12&x=1", b'{"id": 1}'):
        refused = await api.post(integration["webhookPath"], content=body, headers=form)
        assert refused.status_code == 401
    log = await deliveries(api, tenant, integration["id"])
    assert [d["status"] for d in log].count("ping") == 1


async def test_a_truncated_body_is_answered_with_a_stable_reason_code(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "generic", FLAT)
    raw = json.dumps({"id": "cut-1", **rich.flat_record(TITLE)}).encode()[:-7]
    headers = sign("generic", raw, integration["secret"], "", {"Content-Type": "application/json"})
    answer = await api.post(integration["webhookPath"], content=raw, headers=headers)
    assert answer.status_code == 200, answer.text  # a retry of the same bytes would not help
    assert (answer.json()["status"], answer.json()["reasonCode"]) == ("invalid", "unreadable")
    assert "not JSON" in answer.json()["reason"]
    (logged,) = await deliveries(api, tenant, integration["id"])
    assert (logged["reasonCode"], logged["bodyKept"]) == ("unreadable", True)


async def test_gzip_bodies_are_decoded_and_a_bomb_is_413(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "generic", FLAT)
    raw = json.dumps({"id": "gz-1", **rich.flat_record(TITLE)}).encode()
    headers = sign("generic", raw, integration["secret"], "", {"Content-Type": "application/json",
                   "Content-Encoding": "gzip"})  # fmt: skip
    accepted = await api.post(
        integration["webhookPath"], content=gzip.compress(raw), headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))
    too_large = await api.post(integration["webhookPath"], content=bomb, headers=headers)
    assert (too_large.status_code, too_large.json()["error"]["code"]) == (413, "payload_too_large")
    brotli = await api.post(
        integration["webhookPath"], content=raw, headers={**headers, "Content-Encoding": "br"}
    )
    assert brotli.status_code == 415


async def test_wordpress_zero_dates_read_as_unknown(api: httpx.AsyncClient, tenant: Tenant) -> None:
    integration = await connect(api, tenant, "wordpress", WP_CITY)
    body = rich.wp_post("125", TITLE, AT, "publish")
    body["post"]["post_modified_gmt"] = "0000-00-00 00:00:00"  # as WordPress writes drafts
    body["post"]["post_date_gmt"] = "0000-00-00 00:00:00"
    response = await send(api, integration, body, {"X-WP-Webhook-Source": "https://e.com/"},
                          "action=post_update")  # fmt: skip
    assert response.status_code == 202, response.text


async def test_strapi5_double_delete_changes_the_event_once(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, "strapi", {})
    created = await send(api, integration, _strapi(5, "3"), {})
    event_id = created.json()["eventId"]
    await event_of(api, tenant, event_id)
    for row_id, at in ((11, "2026-05-02T10:00:00.000Z"), (12, "2026-05-02T10:00:01.000Z")):
        body = _strapi(5, "3")
        body["event"] = "entry.delete"
        body["entry"].update(id=row_id, updatedAt=at)
        assert (await send(api, integration, body, {})).status_code == 202

    async def settled() -> list[str] | None:
        log = await deliveries(api, tenant, integration["id"])
        statuses = [d["status"] for d in log]
        return statuses if "accepted" not in statuses else None

    statuses = await eventually(settled)
    assert sorted(statuses) == ["applied", "applied", "duplicate"]
    version = await db.fetchval("SELECT version FROM events WHERE id = $1::uuid", event_id)
    assert version == 2


async def test_preview_writes_nothing_and_replay_after_a_fix_applies_once(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "webflow", {}, settings={"valueMaps": {}})
    one = f"{INTEGRATIONS}/{integration['id']}"
    item = {"id": "w9", "lastUpdated": AT, "fieldData": rich.webflow_field_data("w9", TITLE)}
    body = {"triggerType": "collection_item_changed", "payload": item}
    body["payload"]["fieldData"]["city"] = "Wien-Mitte"  # not a place we know
    refused = (await send(api, integration, body, {})).json()
    assert refused["status"] == "invalid"

    sample = {"headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
    previewed = await api.post(f"{one}/preview", json=sample, headers=tenant.owner_headers)
    assert previewed.status_code == 200, previewed.text
    assert previewed.json()["status"] == "invalid"
    assert any("payload.fieldData.city" in f["message"] for f in previewed.json()["fields"])

    fix = {"mapping": {"approxLocation.city": "place('Vienna', payload.fieldData.country)"},
           "mappingSettings": SETTINGS}  # fmt: skip
    assert (await api.patch(one, json=fix, headers=tenant.owner_headers)).status_code == 200
    recorded = {"deliveryId": refused["deliveryId"]}
    previewed = await api.post(f"{one}/preview", json=recorded, headers=tenant.owner_headers)
    assert previewed.json()["event"]["approxLocation"] == rich.EXPECTED["approxLocation"]
    assert previewed.json()["event"]["classifications"] == ["food-drink", "music"]
    assert not [d for d in await deliveries(api, tenant, integration["id"]) if d["eventId"]]

    replay = f"{one}/deliveries/{refused['deliveryId']}/replay"
    first = await api.post(replay, headers=tenant.owner_headers)
    second = await api.post(replay, headers=tenant.owner_headers)
    assert (first.status_code, second.status_code) == (202, 202), first.text

    async def settled() -> list[str] | None:
        log = await deliveries(api, tenant, integration["id"])
        replays = [d["status"] for d in log if d["replayOf"] == refused["deliveryId"]]
        return replays if "accepted" not in replays else None

    assert sorted(await eventually(settled)) == ["applied", "duplicate"]
    applied = await api.post(replay.replace(refused["deliveryId"], first.json()["deliveryId"]),
                             headers=tenant.owner_headers)  # fmt: skip
    assert (applied.status_code, applied.json()["error"]["code"]) == (409, "not_replayable")
    assert " is applied " in applied.json()["error"]["message"]  # as the deliveries log says


async def test_cli_previews_and_replays_a_recorded_delivery(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    integration = await connect(api, tenant, "strapi", {}, settings={"valueMaps": {}})
    body = _strapi(5, "41")
    body["entry"]["city"] = "Vienna, Austria"  # not a place name we know
    refused = (await send(api, integration, body, {})).json()
    assert refused["status"] == "invalid"
    body["entry"]["city"] = "Wien"
    sample = tmp_path / "delivery.json"
    sample.write_text(json.dumps(body))
    previewed = pinned(stack, "integrations", "preview", integration["id"], "--body", str(sample))
    assert previewed["status"] == "accepted"
    assert previewed["event"]["approxLocation"] == rich.EXPECTED["approxLocation"]
    recorded = pinned(
        stack, "integrations", "preview", integration["id"], "--delivery", refused["deliveryId"]
    )
    assert recorded["status"] == "invalid"
    assert recorded["fields"][0]["path"] == "approxLocation.city"

    fix = {"mapping": {"approxLocation.city": "place('Vienna', entry.country)"}}
    one = f"{INTEGRATIONS}/{integration['id']}"
    assert (await api.patch(one, json=fix, headers=tenant.owner_headers)).status_code == 200
    no_broker = dataclasses.replace(stack, kafka_bootstrap="127.0.0.1:9")
    down = run_cli(no_broker, "integrations", "replay", integration["id"], refused["deliveryId"])
    assert down.returncode == 2
    assert down.stderr.startswith("error: cannot reach Kafka at 127.0.0.1:9"), down.stderr
    assert down.stderr.count("\n") == 1, down.stderr
    assert len(await deliveries(api, tenant, integration["id"])) == 1  # nothing recorded
    replayed = pinned(stack, "integrations", "replay", integration["id"], refused["deliveryId"])
    assert replayed["status"] == "accepted"
    assert replayed["replayOf"] == refused["deliveryId"]
    event = await event_of(api, tenant, replayed["eventId"])
    assert event["approxLocation"] == rich.EXPECTED["approxLocation"]

    async def applied() -> bool:
        log = await deliveries(api, tenant, integration["id"])
        return any(d["id"] == replayed["deliveryId"] and d["status"] == "applied" for d in log)

    await eventually(applied)
    again = run_cli(stack, "integrations", "replay", integration["id"], replayed["deliveryId"])
    assert again.returncode == 2
    assert again.stderr.startswith(f"error: Delivery {replayed['deliveryId']} is applied ")


async def test_a_refused_delivery_keeps_the_notes_that_explain_it(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The one category was not in the value map (dropped, noted) and no default stands in:
    # "classifications: Field required" alone would not say why (from a new user's trial).
    integration = await connect(
        api, tenant, "generic", {"classifications": "value_map(kind, 'kinds')"},
        settings={"valueMaps": {"kinds": {"values": {"Jazz": "music"}}}},
        defaults={"timezone": "America/New_York"},
    )  # fmt: skip
    body = {"id": "crm-polka", "title": "Polka night", "kind": "Polka",
            "startAt": "2030-06-12T19:00:00-04:00",
            "approxLocation": {"city": {"placeId": "place-new-york", "name": "New York",
                                        "countryCode": "US"}}}  # fmt: skip
    answer = await send(api, integration, body, {})
    assert answer.json()["status"] == "invalid", answer.text
    assert [f["path"] for f in answer.json()["fields"]] == ["classifications"]
    for note in await note_everywhere(api, tenant, integration, answer, "value_not_mapped"):
        assert note["path"] == "classifications"
        assert "'Polka'" in note["message"]


async def test_strapis_trigger_button_is_ignored_as_a_working_connection(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, "strapi", {})
    answer = await send(
        api, integration, {"event": "trigger-test", "createdAt": "2026-12-03T16:00:00Z"}, {}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reasonCode"]) == ("ignored", "ignored")
    assert "Trigger" in answer.json()["reason"]
