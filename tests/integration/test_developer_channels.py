"""Developer API: an owner reads its channels, each with its page and feeds on the discovery
service, and only its own."""

from __future__ import annotations

import asyncpg
import httpx

from devstack.stack import ServiceProcess
from tests.integration.conftest import MakeTenant, Tenant
from tests.integration.discovery_support import publish_channel

CHANNELS = "/api/developer/v1/channels"


async def test_an_owner_lists_its_channels_a_page_at_a_time(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    more = [
        await db.fetchval(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, $2) RETURNING id",
            tenant.account_id,
            f"Second stage {number}",
        )
        for number in range(2)
    ]
    other = await make_tenant()  # its channel is never listed here
    first = await api.get(CHANNELS, params={"limit": 2}, headers=tenant.owner_headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [c["id"] for c in body["docs"]] == [tenant.channel_id, more[0]]
    assert (body["page"], body["totalDocs"], body["totalPages"], body["nextPage"]) == (1, 3, 2, 2)
    second = await api.get(CHANNELS, params={"limit": 2, "page": 2}, headers=tenant.owner_headers)
    assert [c["id"] for c in second.json()["docs"]] == [more[1]]
    assert other.channel_id not in [c["id"] for c in second.json()["docs"]]
    bad = await api.get(CHANNELS, params={"limit": 0}, headers=tenant.owner_headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"][0]["path"] == "limit"


async def test_one_channel_shows_its_page_and_feeds_while_public_or_unlisted(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    services: dict[str, ServiceProcess],
    tenant: Tenant,
) -> None:
    one = f"{CHANNELS}/{tenant.channel_id}"
    private = (await api.get(one, headers=tenant.owner_headers)).json()
    assert (private["visibility"], private["publicPath"], private["urls"]) == (
        "private",
        None,
        None,
    )
    slug = await publish_channel(api, tenant, visibility="unlisted")
    shown = (await api.get(one, headers=tenant.owner_headers)).json()
    base = services["discovery"].url
    assert shown["slug"] == slug
    assert shown["visibility"] == "unlisted"
    assert shown["urls"] == {
        "page": f"{base}/channels/{slug}",
        "feeds": {
            "ical": f"{base}/feeds/channels/{slug}.ics",
            "json": f"{base}/feeds/channels/{slug}.json",
            "atom": f"{base}/feeds/channels/{slug}.atom",
        },
    }
    for url in (shown["urls"]["page"], *shown["urls"]["feeds"].values()):
        assert (await discovery.get(url)).status_code == 200, url
    listed = (await api.get(CHANNELS, headers=tenant.owner_headers)).json()["docs"]
    assert listed == [shown]


async def test_another_accounts_channel_is_not_found_and_integration_keys_cannot_read(
    api: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    owner, other = await make_tenant(), await make_tenant()
    foreign = await api.get(f"{CHANNELS}/{owner.channel_id}", headers=other.owner_headers)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    missing = await api.get(f"{CHANNELS}/{2**63}", headers=owner.owner_headers)
    assert missing.status_code == 404
    for path in (CHANNELS, f"{CHANNELS}/{owner.channel_id}"):
        assert (await api.get(path, headers=owner.headers)).status_code == 403
