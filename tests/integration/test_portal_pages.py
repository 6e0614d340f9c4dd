"""The developer portal's pages on the real stack, driven over HTTP as a browser posts forms:
keys (the secret once, usage, history by `portal:<e-mail>`, every state change), channels,
integrations (setup steps, mapping, secret rotation, pause), deliveries filtered by status
and reason, the audit log, and dead letters for operators only."""

from __future__ import annotations

import json
import re
import uuid
from html import unescape

import asyncpg
import httpx

from devstack.stack import Servers, ServiceProcess
from shared.adapters import accounts
from shared.adapters.postgres import connect
from tests.integration.conftest import (
    KEY_MANAGEMENT_QUOTA,
    PORTAL_PREVIEW_QUOTA,
    MakeTenant,
    eventually,
)
from tests.integration.portal_support import (
    PORTAL,
    Owner,
    accept_invitation,
    csrf_of,
    key_events,
    post_form,
    sign_in,
    signed_in_owner,
)
from tests.integration.test_dlq_cli import dead_letter
from tests.webhook_senders import Strapi

CHANNELS = "/api/public/v1/channels"


def secret_on(page: httpx.Response) -> str:
    found = re.search(r'<code id="secret" class="secret">([^<]+)</code>', page.text)
    assert found, page.text[:800]
    return unescape(found.group(1))


async def new_key(browser: httpx.AsyncClient, name: str, scopes: list[str]) -> tuple[str, str]:
    """(key id, secret) of a key made through the keys page."""
    made = await post_form(browser, f"{PORTAL}/keys", f"{PORTAL}/keys",
                           {"name": name, "scopes": scopes, "mode": "test"})  # fmt: skip
    assert made.status_code == 303, made.text[:800]
    shown = await browser.get(made.headers["location"])
    return made.headers["location"].rsplit("/", 1)[1], secret_on(shown)


async def test_a_key_is_made_with_chosen_scopes_and_its_secret_shown_once(
    browser: httpx.AsyncClient, owner: Owner, api: httpx.AsyncClient
) -> None:
    key_id, secret = await new_key(browser, "CMS sync", ["channels:read", "events:create"])
    assert secret.startswith("pe_test_")
    again = await browser.get(f"{PORTAL}/reveal/keys/{key_id}")
    assert 'id="secret-gone"' in again.text
    assert secret not in again.text
    listed = await browser.get(f"{PORTAL}/keys")
    assert secret not in listed.text
    assert "CMS sync" in listed.text
    assert (
        await api.get(CHANNELS, headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 200


async def test_a_key_form_with_a_problem_is_shown_again_with_it(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    refused = await post_form(browser, f"{PORTAL}/keys", f"{PORTAL}/keys",
                              {"name": "", "scopes": ["keys:manage"]})  # fmt: skip
    assert refused.status_code == 422
    assert "name" in refused.text
    assert "scopes" in refused.text
    keys = await db.fetchval(
        "SELECT count(*) FROM api_keys WHERE account_id = $1", owner.account_id
    )
    assert keys == 0


async def test_key_changes_in_the_portal_are_the_keys_history(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    key_id, _ = await new_key(browser, "Importer", ["events:create"])
    page = f"{PORTAL}/keys/{key_id}"
    for action, fields in (("disable", {}), ("enable", {}), ("rotate", {"overlapHours": "1"}),
                           ("revoke", {"reason": "leaked in a CI log"})):  # fmt: skip
        done = await post_form(browser, page, f"{page}/{action}", fields)
        assert done.status_code == 303, (action, done.text[:500])
    twice = await post_form(browser, page, f"{page}/revoke", {"reason": "again"})
    assert twice.status_code == 409
    actor = f"portal:{owner.email}"
    history = await key_events(db, owner.account_id)
    assert [a for a, who in history if who == actor] == [
        "created", "disabled", "enabled", "created", "rotated", "revoked"
    ]  # fmt: skip
    shown = await browser.get(page)
    assert "leaked in a CI log" in shown.text
    assert 'data-status="revoked"' in (await browser.get(f"{PORTAL}/keys")).text


async def test_a_keys_usage_is_drawn_per_day_and_per_route(
    browser: httpx.AsyncClient, owner: Owner, api: httpx.AsyncClient
) -> None:
    key_id, secret = await new_key(browser, "Reader", ["channels:read"])
    for _ in range(3):
        await api.get(CHANNELS, headers={"Authorization": f"Bearer {secret}"})

    async def charted() -> str | None:
        page = await browser.get(f"{PORTAL}/keys/{key_id}?days=7")
        return page.text if 'data-requests="3"' in page.text else None

    text = await eventually(charted)  # the auditor writes the rows a moment later
    assert '<svg class="chart per-day"' in text
    assert "GET /api/public/v1/channels: 3" in text
    assert text.count('class="day"') == 7


async def test_channels_show_members_and_take_a_visibility(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, make_tenant: MakeTenant
) -> None:
    channel_id = await db.fetchval(
        "SELECT id FROM channels WHERE owner_account_id = $1", owner.account_id
    )
    partner = await make_tenant()
    await db.execute(
        "INSERT INTO channel_members (channel_id, account_id) VALUES ($1, $2)",
        channel_id,
        partner.account_id,
    )
    page = await browser.get(f"{PORTAL}/channels")
    assert f"account {partner.account_id}" in page.text
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    done = await post_form(browser, f"{PORTAL}/channels",
                           f"{PORTAL}/channels/{channel_id}/visibility",
                           {"visibility": "public", "slug": slug})  # fmt: skip
    assert done.status_code == 303
    row = await db.fetchrow("SELECT visibility, slug FROM channels WHERE id = $1", channel_id)
    assert (row["visibility"], row["slug"]) == ("public", slug)
    bad = await post_form(browser, f"{PORTAL}/channels",
                          f"{PORTAL}/channels/{channel_id}/visibility",
                          {"visibility": "public", "slug": "Not A Slug"})  # fmt: skip
    assert bad.status_code == 422


async def connect_strapi(
    browser: httpx.AsyncClient, db: asyncpg.Pool, owner: Owner
) -> tuple[str, str]:
    """(integration id, its token) of a Strapi integration made through the pages."""
    channel_id = await db.fetchval(
        "SELECT id FROM channels WHERE owner_account_id = $1", owner.account_id
    )
    form_page = f"{PORTAL}/integrations/new?source=strapi"
    made = await post_form(browser, form_page, f"{PORTAL}/integrations",
                           {"source": "strapi", "name": "Strapi site",
                            "channelId": str(channel_id), "defaultCity": "place-new-york",
                            "defaultClassification": ["music"]})  # fmt: skip
    assert made.status_code == 303, made.text[:800]
    shown = await browser.get(made.headers["location"])
    header = re.search(r"Bearer ([A-Za-z0-9_\-]+)</code>", shown.text)
    assert header, shown.text[:1500]
    integration_id = made.headers["location"].rsplit("/", 1)[1]
    assert f"/webhooks/strapi/{integration_id}</code>" in shown.text
    assert header.group(1) not in (await browser.get(made.headers["location"])).text
    return integration_id, header.group(1)


async def test_a_strapi_integration_is_set_up_and_its_deliveries_found(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, token = await connect_strapi(browser, db, owner)
    path = f"/webhooks/strapi/{integration_id}"
    good = Strapi(5).build(
        "create", "1", "Jazz on the river", "2026-05-02T10:00:00.000Z", token, path
    )
    bad = Strapi(5).build("create", "2", None, "2026-05-02T10:00:00.000Z", token, path)
    assert (await api.post(path, headers=good[0], content=good[1])).status_code == 202
    assert (await api.post(path, headers=bad[0], content=bad[1])).status_code == 200

    async def listed(query: str) -> str | None:
        page = await browser.get(f"{PORTAL}/deliveries?{query}")
        return page.text if 'class="delivery"' in page.text else None

    applied = await eventually(lambda: listed(f"integration={integration_id}&status=applied"))
    assert "doc1" in applied
    assert "doc2" not in applied
    invalid = await listed("status=invalid&reason=validation_failed")
    assert invalid is not None
    assert "doc2" in invalid
    delivery_id = re.search(r'data-delivery-id="([0-9a-f-]+)"', invalid)
    assert delivery_id
    one = await browser.get(f"{PORTAL}/deliveries/{delivery_id.group(1)}")
    assert "title" in one.text


async def test_a_deliverys_page_shows_its_notes_escaped(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, token = await connect_strapi(browser, db, owner)
    path = f"/webhooks/strapi/{integration_id}"
    headers, raw = Strapi(5).build("create", "7", "Fair", "2026-05-02T10:00:00.000Z", token, path)
    body = json.loads(raw)
    body["entry"].update(address="<b>Town & Hall</b>, Main St",
                         cover={"url": "https://cms.example.org/fair.jpg"})  # fmt: skip
    assert (await api.post(path, headers=headers, json=body)).status_code == 202

    async def applied() -> str | None:
        page = await browser.get(f"{PORTAL}/deliveries?integration={integration_id}")
        found = re.search(r'data-delivery-id="([0-9a-f-]+)" data-status="applied"', page.text)
        return found.group(1) if found else None

    one = await browser.get(f"{PORTAL}/deliveries/{await eventually(applied)}")
    notes = re.search(r'<ul class="notes">(.*?)</ul>', one.text, re.DOTALL)
    assert notes, one.text[:2000]
    assert "<code>images.0.alt</code>: image https://cms.example.org/fair.jpg" in notes.group(1)
    assert "<code>venue.name</code>: venue named by its address" in notes.group(1)
    assert "&lt;b&gt;Town &amp; Hall&lt;/b&gt;" in notes.group(1)
    assert "<b>Town" not in one.text


async def test_an_integrations_mapping_secret_and_status_change_in_the_portal(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, old = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    saved = await post_form(browser, page, f"{page}/mapping", {"map.title": "entry.name"})
    assert saved.status_code == 303
    mapping = await db.fetchval(
        "SELECT mapping FROM integrations WHERE id = $1", uuid.UUID(integration_id)
    )
    assert "entry.name" in str(mapping)
    emptied = await post_form(browser, page, f"{page}/mapping", {"map.title": " "})
    assert emptied.status_code == 303  # an emptied field falls back to the sender's default
    mapping = await db.fetchval(
        "SELECT mapping FROM integrations WHERE id = $1", uuid.UUID(integration_id)
    )
    assert "entry.name" not in str(mapping)

    rotated = await post_form(browser, page, f"{page}/rotate-secret", {"overlapSeconds": "0"})
    shown = await browser.get(rotated.headers["location"])
    new = re.search(r"Bearer ([A-Za-z0-9_\-]+)</code>", shown.text)
    assert new
    assert new.group(1) != old

    paused = await post_form(browser, page, f"{page}/disable", {})
    assert paused.headers["location"].endswith("done=disabled")
    path = f"/webhooks/strapi/{integration_id}"
    headers, body = Strapi(5).build(
        "create", "3", "Paused", "2026-05-03T10:00:00.000Z", new.group(1), path
    )
    assert (await api.post(path, headers=headers, content=body)).status_code == 404
    await post_form(browser, page, f"{page}/enable", {})
    assert (await api.post(path, headers=headers, content=body)).status_code == 202

    # Each change is in the account's portal activity, naming the integration and who.
    activity = await db.fetch(
        "SELECT action, actor, request_id FROM portal_audit"
        " WHERE account_id = $1 AND detail->>'integration' = $2 ORDER BY id",
        owner.account_id,
        integration_id,
    )
    assert [row["action"] for row in activity] == [
        "integration_created", "integration_mapping_saved", "integration_mapping_saved",
        "integration_secret_rotated", "integration_paused", "integration_resumed",
    ]  # fmt: skip
    assert {row["actor"] for row in activity} == {f"portal:{owner.email}"}
    assert all(row["request_id"] for row in activity)
    audit_page = (await browser.get(f"{PORTAL}/audit")).text
    assert "integration_secret_rotated" in audit_page
    assert f"integration {integration_id}" in audit_page


async def test_another_accounts_things_are_not_found(
    browser: httpx.AsyncClient, owner: Owner, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    other = await make_tenant()
    their_key = await db.fetchval(
        "SELECT id FROM api_keys WHERE account_id = $1 LIMIT 1", other.account_id
    )
    assert (await browser.get(f"{PORTAL}/keys/{their_key}")).status_code == 404
    refused = await post_form(browser, f"{PORTAL}/keys", f"{PORTAL}/keys/{their_key}/disable", {})
    assert refused.status_code == 404
    status = await db.fetchval("SELECT status FROM api_keys WHERE id = $1", their_key)
    assert status == "active"


async def test_a_portal_address_with_no_page_is_a_page_saying_so(
    browser: httpx.AsyncClient, owner: Owner
) -> None:
    for path in (f"{PORTAL}/nonexistent", f"{PORTAL}/keys/not-a-key/history/x"):
        missing = await browser.get(path)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "content-security-policy" in missing.headers
        assert "No such page" in missing.text
        assert f'href="{PORTAL}"' in missing.text
    slash = await browser.get(f"{PORTAL}/", follow_redirects=False)
    assert (slash.status_code, slash.headers["location"]) == (307, PORTAL)
    api = await browser.get("/api/public/v1/nonexistent")  # outside the portal: the envelope
    assert api.json()["error"]["code"] == "not_found"


async def test_the_audit_log_shows_requests_key_changes_and_sign_ins(
    browser: httpx.AsyncClient, owner: Owner, api: httpx.AsyncClient
) -> None:
    _, secret = await new_key(browser, "Audited", ["channels:read"])
    await api.get(CHANNELS, headers={"Authorization": f"Bearer {secret}"})

    async def logged() -> str | None:
        page = await browser.get(f"{PORTAL}/audit?type=request")
        return page.text if "/api/public/v1/channels" in page.text else None

    await eventually(logged)
    keys_only = await browser.get(f"{PORTAL}/audit?type=key")
    assert "key.created" in keys_only.text
    assert "/api/public/v1/channels</code>" not in keys_only.text
    assert "signed_in" in keys_only.text  # portal activity
    assert "invitation_used" in keys_only.text


async def test_dead_letters_are_for_operators(
    browser: httpx.AsyncClient, owner: Owner, stack: Servers, services: dict[str, ServiceProcess],
    make_tenant: MakeTenant,
) -> None:  # fmt: skip
    assert (await browser.get(f"{PORTAL}/operations/dead-letters")).status_code == 403
    email = f"oncall-{uuid.uuid4().hex[:8]}@example.com"
    conn = await connect(stack.database_url)
    try:
        _, invitation = await accounts.create_operator(conn, email, "tests")
    finally:
        await conn.close()
    tenant = await make_tenant()
    request_id = await dead_letter(stack, tenant, reason="decoder bug")
    async with httpx.AsyncClient(base_url=services["gateway"].url, timeout=30) as operator:
        await accept_invitation(operator, Owner(0, email, invitation.path()))
        assert (await sign_in(operator, email)).headers["location"] == PORTAL
        assert (await operator.get(f"{PORTAL}/keys")).headers["location"].endswith("dead-letters")
        page = await operator.get(f"{PORTAL}/operations/dead-letters")
        row = re.search(rf'data-id="(\d+:\d+)">(?:(?!</tr>).)*{request_id}', page.text, re.S)
        assert row, page.text[:2000]
        fields = {"csrf": csrf_of(page), "id": row.group(1)}
        replayed = await operator.post(f"{PORTAL}/operations/dead-letters/replay", data=fields)
        assert replayed.headers["location"].endswith("replayed=1")
        await eventually(lambda: _events_of(stack, tenant.account_id))


async def _events_of(stack: Servers, account_id: int) -> int:
    conn = await connect(stack.database_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM events WHERE owner_account_id = $1", account_id
        )
        return count
    finally:
        await conn.close()


async def test_a_pasted_delivery_is_previewed_under_the_mapping_as_typed(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool
) -> None:
    integration_id, token = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    path = f"/webhooks/strapi/{integration_id}"
    headers, body = Strapi(5).build(
        "create", "4", "Quiz night", "2026-05-04T10:00:00.000Z", token, path
    )
    sample = {
        "sample": body.decode(),
        "sampleHeaders": f"Authorization: {headers['Authorization']}",
    }
    shown = await post_form(browser, page, f"{page}/preview", sample)
    assert shown.status_code == 200
    assert 'data-outcome="accepted"' in shown.text
    assert "Quiz night" in shown.text
    fragment = await browser.post(
        f"{page}/preview",
        data={"csrf": csrf_of(await browser.get(page)), **sample, "map.title": "entry.headline"},
        headers={"X-Portal-Fragment": "preview"},
    )
    assert fragment.text.lstrip().startswith('<div class="preview preview-invalid"')
    assert "title" in fragment.text
    unusable = await post_form(
        browser, page, f"{page}/preview", {**sample, "map.title": "entry.[["}
    )
    assert unusable.status_code == 422
    stored = await db.fetchval(
        "SELECT mapping FROM integrations WHERE id = $1", uuid.UUID(integration_id)
    )
    assert "headline" not in str(stored)  # a preview saves nothing
    deliveries = "SELECT count(*) FROM webhook_deliveries WHERE integration_id = $1"
    assert await db.fetchval(deliveries, uuid.UUID(integration_id)) == 0


async def test_a_preview_and_a_refused_deliverys_page_list_each_error_once(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, token = await connect_strapi(browser, db, owner)
    page = f"{PORTAL}/integrations/{integration_id}"
    path = f"/webhooks/strapi/{integration_id}"
    headers, raw = Strapi(5).build("create", "6", "Quiz", "2026-05-06T10:00:00.000Z", token, path)
    body = json.loads(raw)
    body["entry"].update(city="Atlantis", country="AT")
    sample = {"sample": json.dumps(body), "sampleHeaders": "Content-Type: application/json"}
    fragment = await browser.post(
        f"{page}/preview",
        data={"csrf": csrf_of(await browser.get(page)), **sample},
        headers={"X-Portal-Fragment": "preview"},
    )
    assert 'data-outcome="invalid"' in fragment.text
    assert fragment.text.count("no city named") == 1
    assert (await api.post(path, headers=headers, json=body)).json()["status"] == "invalid"
    listed = await browser.get(f"{PORTAL}/deliveries?status=invalid&integration={integration_id}")
    refused = re.search(r'data-delivery-id="([0-9a-f-]+)"', listed.text)
    assert refused
    one = await browser.get(f"{PORTAL}/deliveries/{refused.group(1)}")
    assert one.text.count("no city named") == 1
    assert "<code>approxLocation.city</code>: no city named" in one.text


async def test_a_refused_delivery_is_replayed_once_the_mapping_is_fixed(
    browser: httpx.AsyncClient, owner: Owner, db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    integration_id, token = await connect_strapi(browser, db, owner)
    path = f"/webhooks/strapi/{integration_id}"
    headers, body = Strapi(5).build("create", "5", None, "2026-05-05T10:00:00.000Z", token, path)
    assert (await api.post(path, headers=headers, content=body)).status_code == 200  # invalid
    listed = await browser.get(f"{PORTAL}/deliveries?status=invalid&integration={integration_id}")
    refused = re.search(r'data-delivery-id="([0-9a-f-]+)"', listed.text)
    assert refused
    one = f"{PORTAL}/deliveries/{refused.group(1)}"
    shown = await browser.get(one)
    assert (
        "Authorization: [redacted]" in shown.text
        or "authorization: [redacted]" in shown.text.lower()
    )
    assert token not in shown.text

    page = f"{PORTAL}/integrations/{integration_id}"
    await post_form(browser, page, f"{page}/mapping", {"map.title": "entry.documentId"})
    replayed = await post_form(browser, one, f"{one}/replay", {})
    assert replayed.status_code == 303
    assert replayed.headers["location"].endswith("?replayed=accepted")

    async def applied() -> bool:
        again = await browser.get(replayed.headers["location"])
        return "status-applied" in again.text

    await eventually(applied)
    twice = await post_form(browser, one, f"{one}/replay", {})
    assert twice.headers["location"].endswith("?replayed=accepted")
    events = "SELECT count(*) FROM events WHERE owner_account_id = $1 AND title = 'doc5'"
    await eventually(lambda: _count(db, events, owner.account_id))
    assert await db.fetchval(events, owner.account_id) == 1  # a replay twice applies once


async def _count(db: asyncpg.Pool, sql: str, *args: object) -> int:
    found: int = await db.fetchval(sql, *args)
    return found


async def test_previews_count_in_a_quota_of_their_own_not_in_the_changes_one(
    two_gateways: list[str], stack: Servers, db: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(base_url=two_gateways[0], timeout=30) as browser:
        owner = await signed_in_owner(browser, stack.database_url)
        integration_id, token = await connect_strapi(browser, db, owner)  # one change
        page = f"{PORTAL}/integrations/{integration_id}"
        path = f"/webhooks/strapi/{integration_id}"
        _, raw = Strapi(5).build("create", "8", "Quiz", "2026-05-08T10:00:00.000Z", token, path)
        form = {"csrf": csrf_of(await browser.get(page)), "sample": raw.decode()}

        async def preview() -> int:
            shown = await browser.post(
                f"{page}/preview", data=form, headers={"X-Portal-Fragment": "preview"}
            )
            return shown.status_code

        answers = [await preview() for _ in range(KEY_MANAGEMENT_QUOTA + 2)]
        assert answers == [200] * (KEY_MANAGEMENT_QUOTA + 2)  # past the changes quota
        saved = await browser.post(f"{page}/mapping", data={**form, "map.title": "entry.name"})
        assert saved.status_code == 303  # previews used none of the changes
        while len(answers) < PORTAL_PREVIEW_QUOTA:
            answers.append(await preview())
        assert await preview() == 429  # their own quota, past it
