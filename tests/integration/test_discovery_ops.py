"""The discovery service as operators and the other senders see it: a webhook delivery
reaches the pages too, the per-IP quota holds for the deployment, and the metrics move."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from devstack.stack import TEST, Servers, ServiceProcess, shifted
from tests.integration.conftest import Tenant, eventually, sample, scrape
from tests.integration.discovery_support import future_start, public_event, publish_channel
from tests.integration.test_key_cli import pinned

NEW_YORK = {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}


async def test_an_event_from_a_cms_webhook_shows_up_on_its_city_page(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    integration = await api.post(
        "/api/developer/v1/integrations",
        json={
            "name": "Forms tool",
            "source": "generic",
            "channelId": tenant.channel_id,
            "defaults": {
                "city": NEW_YORK,
                "classifications": ["community"],
                "timezone": "America/New_York",
            },
        },
        headers=tenant.owner_headers,
    )
    assert integration.status_code == 201, integration.text
    created = integration.json()
    marker = uuid.uuid4().hex[:8]
    title = f"Street fair {marker}"
    delivery = await api.post(
        created["webhookPath"],
        json={"action": "create", "id": f"row-{uuid.uuid4().hex}",
              "updatedAt": "2026-05-01T10:00:00Z", "title": title, "startAt": future_start()},
        headers={"X-Webhook-Token": created["secret"]},
    )  # fmt: skip
    assert delivery.status_code == 202, delivery.text
    event_id = delivery.json()["eventId"]
    shown = await public_event(discovery, event_id)
    assert shown["title"] == title
    # Other tests' New York events start the same day and hour, more than a page of them:
    # the city page is asked for that day and this event's own word, as a visitor would.
    day = future_start()[:10]
    city = await discovery.get(
        "/cities/place-new-york", params={"from": day, "to": day, "q": marker}
    )
    assert f'data-event-id="{event_id}"' in city.text


async def test_the_per_ip_quota_holds_across_discovery_replicas(
    stack: Servers, services: dict[str, ServiceProcess]
) -> None:
    quota = 5
    env = {**services["discovery"].env, "DISCOVERY_RATE_LIMIT_PER_IP": str(quota),
           "DISCOVERY_RATE_LIMIT_WINDOW_SECONDS": "3600"}  # fmt: skip
    replicas = [
        ServiceProcess("discovery", port, env, TEST.base_dir / "logs" / f"discovery-{port}")
        for port in (shifted(18095), shifted(18096))
    ]
    try:
        for replica in replicas:
            replica.start()
        answers = []
        async with httpx.AsyncClient(timeout=10) as client:
            for number in range(quota + 3):
                replica = replicas[number % 2]
                answers.append(await client.get(f"{replica.url}/api/discovery/v1/channels"))
        # Refusals are counted and logged under the route they were for, not as unmatched.
        metrics = [await scrape(replica) for replica in replicas]
    finally:
        for replica in replicas:
            replica.stop()
    # Other tests' requests share this IP's window only if they ran on these replicas: none.
    statuses = [a.status_code for a in answers]
    assert statuses[:quota] == [200] * quota, statuses
    refused = answers[quota]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    assert '"discovery-ip";q=5' in answers[0].headers["ratelimit-policy"]
    route = "/api/discovery/v1/channels"
    assert sum(sample(m, "pinned_http_requests_total", route=route, status_class="4xx")
               for m in metrics) == 3  # fmt: skip
    assert sum(sample(m, "pinned_rate_limited_total", policy="discovery-ip") for m in metrics) == 3
    assert not any('route="unmatched"' in m for m in metrics)
    logged = "".join(replica.log_file.read_text() for replica in replicas).splitlines()
    lines = [json.loads(line) for line in logged if line.startswith("{")]
    refusals = [line for line in lines if line.get("error_code") == "rate_limited"]
    assert [line["route"] for line in refusals] == [route] * 3


async def test_metrics_show_feed_builds_projection_delay_and_change_stream_lag(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    tenant: Tenant,
    services: dict[str, ServiceProcess],
) -> None:
    slug = await publish_channel(api, tenant)
    response = await api.post(
        "/api/public/v1/events",
        json=tenant.event(startAt=future_start(), title="Metered"),
        headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    await public_event(discovery, response.json()["id"])
    for _ in range(2):
        assert (await discovery.get(f"/feeds/channels/{slug}.atom")).status_code == 200

    text = await scrape(services["discovery"])
    assert sample(text, "pinned_discovery_feed_requests_total", format="atom", result="built") >= 1
    assert sample(text, "pinned_discovery_feed_requests_total", format="atom", result="cached") >= 1
    assert sample(text, "pinned_discovery_feed_build_seconds_count", format="atom") >= 1
    assert sample(text, "pinned_http_requests_total", route="/feeds/channels/{slug}.{format}") >= 2

    async def lag_measured() -> bool:
        text = await scrape(services["discovery"])
        return 'group="pinned-discovery-projector",partition="0"' in text

    await eventually(lag_measured)
    projector = await scrape(services["projector"])
    assert sample(projector, "pinned_discovery_projection_delay_seconds_count") >= 1
    assert sample(projector, "pinned_discovery_projected_changes_total", result="applied") >= 1
    publisher = await scrape(services["publisher"])
    assert sample(publisher, "pinned_change_records_relayed_total") >= 1
    ready = await discovery.get("/readyz")
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok"}}


async def test_an_operator_publishes_a_channel_from_the_command_line(
    stack: Servers, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    channel = str(tenant.channel_id)
    done = await asyncio.to_thread(
        pinned, stack, "channels", "visibility", channel, "public", "--slug", slug
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["visibility"] == "public"
    assert (await discovery.get(f"/channels/{slug}")).status_code == 200
    listed = await asyncio.to_thread(
        pinned, stack, "channels", "list", "--account", str(tenant.account_id), for_people=True
    )
    assert f"public   /channels/{slug}" in listed.stdout
    bad = await asyncio.to_thread(pinned, stack, "channels", "visibility", channel, "private",
                                  "--slug", "Not a slug")  # fmt: skip
    assert bad.returncode == 2
    assert "invalid slug" in bad.stderr
    hidden = await asyncio.to_thread(pinned, stack, "channels", "visibility", channel, "private")
    assert hidden.returncode == 0, hidden.stderr
    assert (await discovery.get(f"/channels/{slug}")).status_code == 404
