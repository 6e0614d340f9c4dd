"""What `make run` seeds lets the docs' first example work as written (channel 42 on a fresh
database; the demo account's own channel where another account already holds 42)."""

from __future__ import annotations

import asyncpg
import httpx

from devstack.seed import DEMO_CHANNEL_ID, seed_demo
from devstack.stack import Servers
from tests.examples import docs_example
from tests.integration.conftest import eventually


async def test_demo_key_publishes_the_docs_example_into_channel_42(
    stack: Servers, api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    first = await seed_demo(stack.database_url)
    demo = await seed_demo(stack.database_url)  # every start seeds; only the keys are new
    assert (first.account_id, first.channel_id) == (demo.account_id, demo.channel_id)
    assert first.invitation_path != demo.invitation_path, "a new link: the first is not kept"
    for earlier in (first.api_key, first.owner_key):  # revoked: they do not pile up
        refused = await api.get(
            "/api/public/v1/channels", headers={"Authorization": f"Bearer {earlier}"}
        )
        assert refused.status_code == 401, refused.text
    owner_of_42 = await db.fetchval("SELECT owner_account_id FROM channels WHERE id = 42")
    assert (demo.channel_id == DEMO_CHANNEL_ID) == (owner_of_42 == demo.account_id)
    headers = {"Authorization": f"Bearer {demo.api_key}"}

    channels = (await api.get("/api/public/v1/channels", headers=headers)).json()
    assert [c["id"] for c in channels["docs"]] == [demo.channel_id]

    body = docs_example(demo.channel_id)
    created = await api.post(
        "/api/public/v1/events",
        json=body,
        headers={**headers, "Idempotency-Key": "event-api-launch-2026-06-12"},
    )
    assert created.status_code in (201, 202), created.text
    location = created.headers["location"]

    async def read_back() -> dict | None:
        response = await api.get(location, headers=headers)
        return response.json() if response.status_code == 200 else None

    event = await eventually(read_back)
    assert event["channelId"] == demo.channel_id
    assert event["title"] == "API Launch Workshop"
    next_id = await db.fetchval(
        "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'after demo') RETURNING id",
        demo.account_id,
    )
    assert next_id > DEMO_CHANNEL_ID
