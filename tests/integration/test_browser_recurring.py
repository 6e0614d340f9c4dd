"""A recurring event's pages in a real browser (Debian's chromium driven by playwright-core):
publish a weekly workshop once, see its dates on the city page at 19:00 across the March
clock change, open one date and its other dates, cancel it and see it cancelled.
Screenshots: test-output/browser/recurring/."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import httpx

from devstack.stack import ServiceProcess
from tests.browser_runner import run_scenario
from tests.integration.conftest import Tenant
from tests.integration.discovery_support import publish_channel
from tests.integration.recurring_support import BERLIN, first_weekday


async def test_a_person_sees_a_weekly_workshop_and_a_cancelled_date(
    api: httpx.AsyncClient, tenant: Tenant, services: dict[str, ServiceProcess]
) -> None:
    await publish_channel(api, tenant)
    year = datetime.now(UTC).year + 1
    start = datetime.combine(first_weekday(year, 3, 1), time(19), BERLIN)
    second = start + timedelta(weeks=1)
    output = await run_scenario(
        "recurring",
        {
            "gatewayUrl": services["gateway"].url,
            "discoveryUrl": services["discovery"].url,
            "apiKey": tenant.key,
            "channelId": tenant.channel_id,
            "marker": f"b{uuid.uuid4().hex[:10]}",
            "year": year,
            "startAt": start.isoformat(),
            "endAt": (start + timedelta(hours=2)).isoformat(),
            "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
            "secondDay": second.date().isoformat(),
            "secondLabel": second.strftime("%a %d %b %Y, 19:00"),
        },
    )
    assert "scenario recurring: passed" in output
    assert output.count("screenshot ") == 3
