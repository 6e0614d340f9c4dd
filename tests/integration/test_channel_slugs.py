"""A channel's new slug does not break the links and feed subscriptions made with its former
ones: they answer 301 to the same page, feed or document under the current slug."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.integration.conftest import MakeTenant, Tenant
from tests.integration.discovery_support import publish_channel

API = "/api/discovery/v1"


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def rename(api: httpx.AsyncClient, tenant: Tenant, slug: str) -> None:
    response = await api.patch(
        f"/api/developer/v1/channels/{tenant.channel_id}",
        json={"slug": slug},
        headers=tenant.owner_headers,
    )
    assert response.status_code == 200, response.text


async def test_former_slugs_answer_301_to_the_current_ones_query_kept(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    old, new, newest = fresh("old"), fresh("new"), fresh("newest")
    await publish_channel(api, tenant, slug=old)
    await rename(api, tenant, new)
    await rename(api, tenant, newest)
    base = str(discovery.base_url).rstrip("/")

    expected = {
        f"/channels/{old}?from=2030-01-01&utm_source=mail": (
            f"/channels/{newest}?from=2030-01-01&utm_source=mail"
        ),
        f"/channels/{new}": f"/channels/{newest}",
        f"/feeds/channels/{old}.ics": f"/feeds/channels/{newest}.ics",
        f"/feeds/channels/{new}.json": f"/feeds/channels/{newest}.json",
        f"/feeds/channels/{old}.atom": f"/feeds/channels/{newest}.atom",
        f"{API}/channels/{old}": f"{API}/channels/{newest}",
    }
    for former, current in expected.items():
        response = await discovery.get(former)
        assert response.status_code == 301, (former, response.text)
        assert response.headers["location"] == base + current
        assert (await discovery.get(former, follow_redirects=True)).status_code == 200
    assert (await discovery.get(f"/channels/{newest}")).status_code == 200


async def test_a_former_slug_is_reserved_for_its_links_then_another_channel_may_take_it(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    first, second = await make_tenant(), await make_tenant()
    shared, moved_to = fresh("shared"), fresh("moved")
    await publish_channel(api, first, slug=shared)
    await rename(api, first, moved_to)
    assert (await discovery.get(f"/channels/{shared}")).status_code == 301

    # Taken at once, the old slug's feed subscribers would read the second channel's events.
    refused = await api.patch(
        f"/api/developer/v1/channels/{second.channel_id}",
        json={"visibility": "public", "slug": shared},
        headers=second.owner_headers,
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["fields"][0]["path"]) == ("slug_taken", "slug")
    assert "is free from" in error["message"]
    assert (await discovery.get(f"/channels/{shared}")).status_code == 301

    # Ninety days on, it is free: from then on it is the second channel's.
    await db.execute(
        "UPDATE channel_former_slugs SET retired_at = now() - interval '91 days' WHERE slug = $1",
        shared,
    )
    await publish_channel(api, second, slug=shared)
    taken = await discovery.get(f"{API}/channels/{shared}")
    assert taken.status_code == 200
    assert taken.json()["slug"] == shared
    assert (await discovery.get(f"/feeds/channels/{shared}.ics")).status_code == 200
    # The first channel still answers at its current slug, and takes the slug back once free.
    assert (await discovery.get(f"{API}/channels/{moved_to}")).status_code == 200
    await rename(api, second, fresh("elsewhere"))
    await db.execute(
        "UPDATE channel_former_slugs SET retired_at = now() - interval '91 days' WHERE slug = $1",
        shared,
    )
    await rename(api, first, shared)
    assert (await discovery.get(f"{API}/channels/{shared}")).json()["slug"] == shared


async def test_a_channel_taking_back_its_former_slug_answers_there_again(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    old, new = fresh("old"), fresh("new")
    await publish_channel(api, tenant, slug=old)
    await rename(api, tenant, new)
    await rename(api, tenant, old)
    assert (await discovery.get(f"/channels/{old}")).status_code == 200
    response = await discovery.get(f"/channels/{new}")
    assert response.status_code == 301
    assert response.headers["location"].endswith(f"/channels/{old}")


async def test_a_private_channels_former_slug_reveals_nothing(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    old = fresh("old")
    await publish_channel(api, tenant, visibility="unlisted", slug=old)
    await rename(api, tenant, fresh("new"))
    assert (await discovery.get(f"/feeds/channels/{old}.ics")).status_code == 301  # unlisted
    await publish_channel(api, tenant, visibility="private", slug=fresh("hidden"))
    for path in (f"/channels/{old}", f"/feeds/channels/{old}.ics", f"{API}/channels/{old}"):
        assert (await discovery.get(path)).status_code == 404, path
