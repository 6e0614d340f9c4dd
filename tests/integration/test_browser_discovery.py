"""The discovery pages in a real browser (Debian's chromium driven by playwright-core):
publish through the API, find the event on its city page and by search, read its JSON-LD,
cancel it and see it cancelled. Screenshots: test-output/browser/discovery/."""

from __future__ import annotations

import uuid

import httpx

from devstack.stack import ServiceProcess
from tests.browser_runner import run_scenario
from tests.integration.conftest import Tenant
from tests.integration.discovery_support import future_start, publish_channel


async def test_a_person_finds_reads_and_sees_the_cancellation_of_an_event(
    api: httpx.AsyncClient, tenant: Tenant, services: dict[str, ServiceProcess]
) -> None:
    slug = await publish_channel(api, tenant)
    start = future_start(days=45, hour=20)
    output = await run_scenario(
        "discovery",
        {
            "gatewayUrl": services["gateway"].url,
            "discoveryUrl": services["discovery"].url,
            "apiKey": tenant.key,
            "channelId": tenant.channel_id,
            "channelSlug": slug,
            "marker": uuid.uuid4().hex[:10],
            "startAt": start,
            "day": start[:10],
        },
    )
    assert "scenario discovery: passed" in output
    assert output.count("screenshot ") == 4
