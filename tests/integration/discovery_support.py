"""Helpers for tests of the public side: publishing a channel, waiting for the read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.integration.conftest import Tenant, eventually

# The bound the docs state for a change to reach pages, feeds and search after its 201/202
# (typically well under a second; the margin absorbs a busy 2-core test machine).
VISIBLE_WITHIN_SECONDS = 10.0
EVENTS = "/api/public/v1/events"


def future_start(days: int = 30, hour: int = 19, zone: str = "America/New_York") -> str:
    """A start `days` from now at `hour` local time, with the zone's offset on that date (the
    docs' example date may be in the past by the time the suite runs)."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).isoformat()


async def publish_channel(
    api: httpx.AsyncClient, tenant: Tenant, visibility: str = "public", slug: str | None = None
) -> str:
    """Set the tenant's channel visibility through the developer API; returns its slug."""
    slug = slug or f"ch-{uuid.uuid4().hex[:10]}"
    response = await api.patch(
        f"/api/developer/v1/channels/{tenant.channel_id}",
        json={"visibility": visibility, "slug": slug},
        headers=tenant.owner_headers,
    )
    assert response.status_code == 200, response.text
    return slug


async def create_event(
    api: httpx.AsyncClient, tenant: Tenant, respond_async: bool = False, **fields: Any
) -> str:
    """An event starting in the future (unless `startAt` is given); returns its id.
    `respond_async`: answered 202 as soon as Kafka has it (works while no publisher runs)."""
    prefer = {"Prefer": "respond-async"} if respond_async else {}
    response = await api.post(
        EVENTS,
        json=tenant.event(**{"startAt": future_start(), **fields}),
        headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex, **prefer},
    )
    assert response.status_code in (201, 202), response.text
    return str(response.json()["id"])


async def event_action(api: httpx.AsyncClient, tenant: Tenant, event_id: str, action: str) -> None:
    response = await api.post(f"{EVENTS}/{event_id}/{action}", headers=tenant.headers)
    assert response.status_code in (200, 202), response.text


async def public_event(
    discovery: httpx.AsyncClient, event_id: str, status: str = "published", version: int = 1
) -> dict[str, Any]:
    """The event as the discovery API shows it, once it shows this status and version."""

    async def probe() -> dict[str, Any] | None:
        response = await discovery.get(f"/api/discovery/v1/events/{event_id}")
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body if body["status"] == status and body["version"] >= version else None

    found: dict[str, Any] = await eventually(probe, within=VISIBLE_WITHIN_SECONDS)
    return found
