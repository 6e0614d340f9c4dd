"""Ops contract: metrics are exposed and move with their causes; the Prometheus config and
alert rules pass promtool; the dashboard asks only for metrics the services expose."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.stack import Servers, ServiceProcess
from services.gateway.access.auth import AUTH_FAILURE_REASONS
from shared.adapters.kafka import PRODUCE_FAILURE_REASONS
from shared.contracts.messages import CreateEvent, IngestEnvelope, encode
from shared.contracts.topics import Topic
from shared.domain.events import parse_event
from tests.integration.conftest import Tenant, eventually, sample, scrape

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "pinned-events.json"

# Each service's own families: every one of them on its /metrics, and no other (another
# service's family would sit there as a constant 0).
_POOL = {"pinned_db_pool_connections", "pinned_db_pool_acquire_wait_seconds"}
_HTTP = {"pinned_http_requests_total", "pinned_http_request_duration_seconds"}
_WATCHING_GROUPS = {"pinned_consumer_group_lag_messages",
                    "pinned_consumer_group_oldest_unapplied_age_seconds"}  # fmt: skip
_CONSUMING = {
    "pinned_consumer_batch_duration_seconds", "pinned_consumer_lag_messages",
    "pinned_consumer_transient_failures_total", "pinned_dead_letters_total",
    "pinned_kafka_producer_renewals_total",
}  # fmt: skip
EXPECTED = {
    "gateway": _HTTP | _POOL | _WATCHING_GROUPS | {
        "pinned_kafka_produce_duration_seconds", "pinned_kafka_produce_failures_total",
        "pinned_kafka_producer_renewals_total", "pinned_gateway_outcome_waits_total",
        "pinned_rate_limited_total", "pinned_gateway_admission_rejected_total",
        "pinned_gateway_admission_refusing", "pinned_gateway_event_loop_lag_seconds",
        "pinned_gateway_auth_failures_total", "pinned_gateway_access_cache_lookups_total",
        "pinned_webhook_deliveries_total", "pinned_retention_rows_deleted_total",
    },
    "publisher": _POOL | _CONSUMING | {
        "pinned_publisher_commands_total", "pinned_publisher_store_refusals_total",
        "pinned_kafka_produce_failures_total", "pinned_change_records_relayed_total",
        "pinned_change_outbox_oldest_age_seconds",
    },
    "auditor": _POOL | _CONSUMING | {"pinned_auditor_rows_written_total"},
    "projector": _POOL | _CONSUMING | {
        "pinned_discovery_projected_changes_total", "pinned_discovery_projection_delay_seconds",
    },
    "discovery": _HTTP | _POOL | _WATCHING_GROUPS | {
        "pinned_rate_limited_total", "pinned_discovery_feed_build_seconds",
        "pinned_discovery_feed_requests_total", "pinned_discovery_search_cache_requests_total",
        "pinned_retention_rows_deleted_total",
    },
    "scheduler": _POOL | {
        "pinned_kafka_produce_failures_total",
        "pinned_kafka_producer_renewals_total", "pinned_scheduler_reminders_total",
        "pinned_scheduler_reminder_lateness_seconds", "pinned_scheduler_clock_timestamp_seconds",
    },
    "notifier": _POOL | _CONSUMING | {
        "pinned_notifier_notices_total", "pinned_notifier_event_changes_total",
        "pinned_retention_rows_deleted_total",
    },
}  # fmt: skip


def families(text: str) -> set[str]:
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


@pytest.mark.parametrize("name", list(EXPECTED))
async def test_each_service_exposes_its_catalogue_and_only_that(
    services: dict[str, ServiceProcess], name: str
) -> None:
    exposed = families(await scrape(services[name]))
    ours = {f for f in exposed if f.startswith("pinned_") and not f.endswith("_created")}
    assert ours == EXPECTED[name]
    assert "process_cpu_seconds_total" in exposed  # and the process's own


async def test_dashboard_queries_only_exposed_metrics(services: dict[str, ServiceProcess]) -> None:
    exposed: set[str] = set()
    for service in services.values():
        exposed |= families(await scrape(service))
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {re.sub(r"_(bucket|sum|count)$", "", m) for e in exprs for m in
            re.findall(r"\bpinned_[a-z_]+", e)}  # fmt: skip
    assert used, "the dashboard has no queries"
    assert used <= exposed, used - exposed
    alerts = (PROMETHEUS / "alerts.yml").read_text()
    alerted = {re.sub(r"_(bucket|sum|count)$", "", m) for m in
               re.findall(r"\bpinned_[a-z_]+", alerts)}  # fmt: skip
    assert alerted <= exposed, alerted - exposed


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts_test.yml"],  # what each alert does on synthetic series
    ],
)
def test_promtool_accepts_prometheus_files(command: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: 'make tools' installs Debian's prometheus package"
    result = subprocess.run(
        [promtool, *command], cwd=PROMETHEUS, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_rejected_command_moves_the_rejected_counter(
    stack: Servers, services: dict[str, ServiceProcess], tenant: Tenant
) -> None:
    before = sample(await scrape(services["publisher"]), "pinned_publisher_commands_total",
                    outcome="rejected")  # fmt: skip
    # A channel that does not exist passes the schema but not the database's foreign key.
    event = parse_event(tenant.event(channelId=2_000_000_000))
    envelope = IngestEnvelope(
        message_id=uuid.uuid4(), request_id=f"req_{uuid.uuid4().hex}",
        received_at=datetime.now(UTC), owner_id=tenant.account_id,
        idempotency_key=f"metrics-{uuid.uuid4()}", request_hash="x",
        command=CreateEvent(event_id=uuid.uuid4(), event=event),
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(Topic.INGEST, encode(envelope),
                                     key=str(envelope.command.event_id).encode())  # fmt: skip
    finally:
        await producer.stop()

    async def moved() -> bool:
        text = await scrape(services["publisher"])
        return sample(text, "pinned_publisher_commands_total", outcome="rejected") > before

    await eventually(moved)
    # The gateway would not have accepted it: the store's refusal is counted for the alert.
    text = await scrape(services["publisher"])
    assert sample(text, "pinned_publisher_store_refusals_total", reason="channel") >= 1


async def test_auth_failures_are_counted_by_reason(
    api: httpx.AsyncClient, services: dict[str, ServiceProcess]
) -> None:
    before = sample(await scrape(services["gateway"]), "pinned_gateway_auth_failures_total",
                    reason="malformed")  # fmt: skip
    await api.get("/api/public/v1/channels", headers={"Authorization": "Bearer nope"})
    after = sample(await scrape(services["gateway"]), "pinned_gateway_auth_failures_total",
                   reason="malformed")  # fmt: skip
    assert after == before + 1


async def test_group_lag_grows_while_the_publisher_is_down_and_drains_after(
    api: httpx.AsyncClient, services: dict[str, ServiceProcess], tenant: Tenant
) -> None:
    async def publisher_lag() -> float:
        text = await scrape(services["gateway"])
        return sample(text, "pinned_consumer_group_lag_messages", group="pinned-publisher")

    async def oldest_age() -> float:
        text = await scrape(services["gateway"])
        return sample(text, "pinned_consumer_group_oldest_unapplied_age_seconds",
                      group="pinned-publisher")  # fmt: skip

    services["publisher"].kill()
    try:
        for index in range(30):
            response = await api.post(
                "/api/public/v1/events", json=tenant.event(title=f"Lagging {index}"),
                headers={**tenant.headers, "Prefer": "respond-async"},
            )  # fmt: skip
            assert response.status_code == 202

        async def grown() -> bool:
            return await publisher_lag() >= 30

        await eventually(grown, within=30, interval=0.5)

        async def stale_for_a_while() -> bool:
            return await oldest_age() >= 2

        await eventually(stale_for_a_while, within=30, interval=0.5)
    finally:
        services["publisher"].start()

    async def drained() -> bool:
        return await publisher_lag() == 0 and await oldest_age() == 0

    await eventually(drained, within=60, interval=0.5)


async def test_counters_that_alerts_watch_are_exposed_from_zero(
    services: dict[str, ServiceProcess],
) -> None:
    # An alert's increase() does not see a series whose first sample is already 1, so each
    # is there before its first event (alerts_test.yml holds the rules to the same case).
    gateway = await scrape(services["gateway"])
    for reason in AUTH_FAILURE_REASONS:
        assert f'pinned_gateway_auth_failures_total{{reason="{reason}"}}' in gateway, reason
    for name, topic in (("auditor", "pinned.audit.v1"), ("publisher", "pinned.ingest.v1")):
        text = await scrape(services[name])
        assert f'pinned_dead_letters_total{{topic="{topic}"}}' in text, name
        assert "_created" not in text, name  # no second series beside each counter
    produced = (
        ("gateway", Topic.INGEST), ("gateway", Topic.AUDIT),
        ("publisher", Topic.OUTCOMES), ("scheduler", Topic.NOTIFICATIONS),
    )  # fmt: skip
    for name, topic in produced:
        text = await scrape(services[name])
        for reason in PRODUCE_FAILURE_REASONS:
            series = f'pinned_kafka_produce_failures_total{{reason="{reason}",topic="{topic}"}}'
            assert series in text, (name, series)
