"""`pinned integrations`: connect a sender from the command line and read its deliveries."""

from __future__ import annotations

import asyncio
import json

import httpx

from devstack.stack import Servers
from tests.integration.conftest import Tenant, eventually
from tests.integration.test_key_cli import pinned
from tests.integration.test_webhooks import deliveries


async def test_create_deliver_and_read_deliveries(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await asyncio.to_thread(
        pinned,
        stack,
        "integrations",
        "create",
        "--account",
        str(tenant.account_id),
        "--name",
        "Airtable events",
        "--source",
        "generic",
        "--channel",
        str(tenant.channel_id),
        "--map",
        "title=fields.Name",
        "--default-timezone",
        "America/New_York",
        "--default-city",
        "place-new-york",
        "--default-classification",
        "music",
    )
    assert created.returncode == 0, created.stderr
    integration = json.loads(created.stdout)
    assert integration["mapping"] == {"title": "fields.Name"}
    record = {
        "id": "rec42",
        "fields": {"Name": "Record fair"},
        "startAt": "2026-08-01 11:00:00",
        "updatedAt": "2026-07-01T10:00:00Z",
    }
    answer = await api.post(
        integration["webhookPath"], json=record, headers={"X-Webhook-Token": integration["secret"]}
    )
    assert answer.status_code == 202, answer.text

    async def applied() -> list[dict[str, object]] | None:
        result = await asyncio.to_thread(
            pinned, stack, "integrations", "deliveries", integration["id"]
        )
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows if rows and rows[0]["status"] != "accepted" else None

    rows = await eventually(applied)
    (api_row,) = await deliveries(api, tenant, integration["id"])
    assert (rows[0]["status"], api_row["status"]) == ("applied", "applied")  # the API's words
    assert (rows[0]["reason_code"], rows[0]["document_id"]) == (None, "rec42")
    assert "outcome" not in rows[0]
    event = (
        await api.get(f"/api/public/v1/events/{answer.json()['eventId']}", headers=tenant.headers)
    ).json()
    assert (event["title"], event["startAt"]) == ("Record fair", "2026-08-01T11:00:00-04:00")

    listed = json.loads(
        (
            await asyncio.to_thread(
                pinned, stack, "integrations", "list", "--account", str(tenant.account_id)
            )
        ).stdout
    )
    assert [i["id"] for i in listed] == [integration["id"]]
    assert "secret" not in listed[0]


async def test_bad_options_are_named(stack: Servers, tenant: Tenant) -> None:
    result = await asyncio.to_thread(
        pinned,
        stack,
        "integrations",
        "create",
        "--account",
        str(tenant.account_id),
        "--name",
        "x",
        "--source",
        "strapi",
        "--channel",
        str(tenant.channel_id),
        "--verification",
        "signature",
        "--map",
        "owner=entry.owner",
    )
    assert result.returncode == 2
    assert "mapping" in result.stderr
    assert "owner" in result.stderr


async def test_pause_resume_rotate_and_delete(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    async def cli(*argv: str) -> object:
        result = await asyncio.to_thread(pinned, stack, "integrations", *argv)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    created = await cli(
        "create", "--account", str(tenant.account_id), "--name", "Form tool",
        "--source", "generic", "--channel", str(tenant.channel_id),
        "--default-timezone", "America/New_York", "--default-city", "place-new-york",
        "--default-classification", "music",
    )  # fmt: skip
    assert isinstance(created, dict)
    ident, path, old = created["id"], created["webhookPath"], created["secret"]

    def delivery(n: int) -> dict[str, str]:
        return {"id": f"form-{n}", "title": f"Open day {n}", "startAt": "2026-08-01 11:00:00"}

    async def send(n: int, token: str) -> int:
        answer = await api.post(path, json=delivery(n), headers={"X-Webhook-Token": token})
        return answer.status_code

    paused = await cli("disable", ident)
    assert isinstance(paused, list)
    assert paused[0]["status"] == "disabled"
    assert await send(1, old) == 404
    await cli("enable", ident)
    assert await send(2, old) == 202

    rotated = await cli("rotate-secret", ident, "--overlap-seconds", "0")
    assert isinstance(rotated, dict)
    assert (await send(3, old), await send(4, rotated["secret"])) == (401, 202)

    await cli("delete", ident)
    assert await send(5, rotated["secret"]) == 404
    gone = await asyncio.to_thread(pinned, stack, "integrations", "deliveries", ident)
    assert gone.returncode != 0
    assert ident in gone.stderr
