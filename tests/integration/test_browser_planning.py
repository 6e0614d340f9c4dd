"""Planning in a real browser (Debian's chromium driven by playwright-core): sign up, RSVP
going on an event page, accept a friend and see them going, find the event in the personal
calendar feed, and see its reminder in the inbox once the scheduler's clock reaches it.
Screenshots: test-output/browser/planning/."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from devstack.stack import ServiceProcess
from tests.browser_runner import run_scenario
from tests.integration.conftest import Tenant
from tests.integration.discovery_support import future_start
from tests.integration.people_support import PASSWORD, PEOPLE, published_event, rsvp, sign_up


async def test_a_person_signs_up_rsvps_and_finds_it_in_their_calendar_and_inbox(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    tenant: Tenant,
    services: dict[str, ServiceProcess],
    scheduler_clock: Path,
) -> None:
    start = future_start(days=25, hour=21)
    title = f"Rooftop cinema {uuid.uuid4().hex[:6]}"
    event_id = await published_event(api, discovery, tenant, startAt=start, title=title)
    bo = await sign_up(discovery, "Bo")
    assert (await rsvp(discovery, bo, event_id, "going")).status_code == 200
    shared = await discovery.patch(f"{PEOPLE}/me", json={"sharePlans": True}, headers=bo.headers)
    assert shared.status_code == 200
    output = await run_scenario(
        "planning",
        {
            "discoveryUrl": services["discovery"].url,
            "eventId": event_id,
            "eventTitle": title,
            "email": f"cy-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "friendToken": bo.token,
            "clockFile": str(scheduler_clock),
            "reminderAt": (datetime.fromisoformat(start) - timedelta(days=1)).isoformat(),
        },
    )
    assert "scenario planning: passed" in output
    assert output.count("screenshot ") == 5
