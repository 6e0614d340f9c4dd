"""GET /events: owner-scoped, filtered, paginated the docs' way."""

from __future__ import annotations

import asyncpg
import httpx

from tests.integration.conftest import MakeTenant, Tenant, eventually

EVENTS = "/api/public/v1/events"


async def seed_events(api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant) -> None:
    bodies = [
        tenant.event(title="June draft", startAt="2026-06-10T18:00:00-04:00", status="draft"),
        tenant.event(title="June show", startAt="2026-06-12T18:00:00-04:00"),
        tenant.event(title="July show", startAt="2026-07-04T20:00:00-04:00"),
    ]
    for body in bodies:
        response = await api.post(
            EVENTS, json=body, headers={**tenant.headers, "Prefer": "respond-async"}
        )
        assert response.status_code == 202, response.text

    async def stored() -> bool:
        count = await db.fetchval(
            "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
        )
        return count == len(bodies)

    await eventually(stored)


async def titles(api: httpx.AsyncClient, tenant: Tenant, **params: object) -> list[str]:
    response = await api.get(EVENTS, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [e["title"] for e in response.json()["docs"]]


async def test_list_filters_and_orders_by_start(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant
) -> None:
    await seed_events(api, db, tenant)
    assert await titles(api, tenant) == ["June draft", "June show", "July show"]
    assert await titles(api, tenant, status="draft") == ["June draft"]
    assert await titles(api, tenant, startsAfter="2026-07-01T00:00:00Z") == ["July show"]
    assert await titles(api, tenant, startsBefore="2026-06-11T00:00:00+00:00") == ["June draft"]
    assert await titles(api, tenant, channelId=tenant.channel_id, status="published") == [
        "June show",
        "July show",
    ]
    assert await titles(api, tenant, updatedSince="2999-01-01T00:00:00Z") == []


async def test_list_pages_with_the_docs_fields(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant
) -> None:
    await seed_events(api, db, tenant)
    page = (await api.get(EVENTS, params={"limit": 2, "page": 2}, headers=tenant.headers)).json()
    assert [e["title"] for e in page["docs"]] == ["July show"]
    assert (page["totalDocs"], page["totalPages"], page["hasPrevPage"], page["hasNextPage"]) == (
        3,
        2,
        True,
        False,
    )


async def test_list_shows_nothing_of_other_owners(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    await seed_events(api, db, tenant)
    stranger = await make_tenant()
    assert await titles(api, stranger) == []
    assert await titles(api, stranger, channelId=tenant.channel_id) == []


async def test_bad_filters_are_400_naming_the_parameter(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    for params, name in (
        ({"status": "archived"}, "status"),
        ({"startsAfter": "next tuesday"}, "startsAfter"),
        ({"updatedSince": "2026-06-01T00:00:00"}, "updatedSince"),
        ({"channelId": "-3"}, "channelId"),
    ):
        response = await api.get(EVENTS, params=params, headers=tenant.headers)
        assert response.status_code == 400
        assert response.json()["error"]["fields"][0]["path"] == name
