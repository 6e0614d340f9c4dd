"""`pinned channels` and `pinned status`: membership changes take effect on the next request;
status shows every consumer group's lag per partition."""

from __future__ import annotations

import asyncio
import json

import httpx

from devstack.stack import Servers, ServiceProcess
from tests.integration.conftest import MakeTenant, Tenant, answer_after_access_change
from tests.integration.test_key_cli import pinned


async def cli(stack: Servers, *args: str) -> object:
    result = await asyncio.to_thread(pinned, stack, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_channel_membership_from_the_cli(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    host = await make_tenant()
    created = await cli(
        stack, "channels", "create", "--account", str(host.account_id), "--name", "Partner feed"
    )
    assert isinstance(created, list)
    channel = created[0]["id"]
    event = tenant.event(channelId=channel)
    refused = await api.post("/api/public/v1/events", json=event, headers=tenant.headers)
    assert refused.status_code == 403

    await cli(stack, "channels", "add-member", str(channel), "--account", str(tenant.account_id))
    listed = await cli(stack, "channels", "list", "--account", str(tenant.account_id))
    assert isinstance(listed, list)
    assert {(c["id"], c["role"]) for c in listed} == {
        (tenant.channel_id, "owner"),
        (channel, "member"),
    }
    allowed = await api.post("/api/public/v1/events", json=event, headers=tenant.headers)
    assert allowed.status_code in (201, 202)  # a refusal is never cached: the grant holds at once

    await cli(stack, "channels", "remove-member", str(channel), "--account", str(tenant.account_id))
    again = await answer_after_access_change(
        lambda: api.post("/api/public/v1/events", json=event, headers=tenant.headers), 403
    )
    assert again.status_code == 403
    missing = await asyncio.to_thread(
        pinned,
        stack,
        "channels",
        "remove-member",
        str(channel),
        "--account",
        str(tenant.account_id),
    )
    assert missing.returncode == 2
    assert "no change" in missing.stderr


async def test_status_lists_lag_per_group_and_partition(
    stack: Servers, services: dict[str, ServiceProcess]
) -> None:
    lags = await cli(stack, "status")
    assert isinstance(lags, list)
    groups = {(entry["group"], entry["topic"]) for entry in lags}
    assert {
        ("pinned-publisher", "pinned.ingest.v1"),
        ("pinned-auditor", "pinned.audit.v1"),
    } <= groups
    # Outcomes are read by waiting gateways only, never by a consumer group that could lag.
    assert not any(topic == "pinned.outcomes.v1" for _, topic in groups)
    assert all(entry["lag"] == max(0, entry["end"] - entry["committed"]) for entry in lags)
    text = await asyncio.to_thread(pinned, stack, "status", for_people=True)
    assert text.returncode == 0, text.stderr
    assert "total lag" in text.stdout
