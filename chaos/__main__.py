"""`make chaos`: inject each fault under a steady load, let the pipeline drain, then check
every acknowledged request against the database. Prints a table, writes it as JSON, and
exits non-zero when any invariant broke."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from chaos.cluster import CLUSTER_GROUPS, Cluster
from chaos.ledger import Ledger
from chaos.load import Load, Target, event_body
from chaos.scenarios import (
    FLOOD_LIMIT,
    SCENARIOS,
    Context,
    Scenario,
    backlog_for_a_new_group,
    poison_flood,
)
from chaos.stack import ChaosStack
from devstack.stack import prepare_servers, step
from shared.adapters import integrations, key_store
from shared.adapters.integrations import IntegrationSpec
from shared.adapters.postgres import connect
from shared.contracts.topics import ConsumerGroup
from shared.core.settings import KafkaSettings
from shared.domain.api_keys import PUBLIC_SCOPES
from shared.runtime.lag import WATCHED, LagMonitor

ROOT = Path(__file__).resolve().parent.parent
WARM_SECONDS = 4
AFTER_SECONDS = 4
RECOVERY_LIMIT_SECONDS = 120
DRAIN_LIMIT_SECONDS = 180


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos")
    parser.add_argument("--only", help="run the scenarios whose name contains this text")
    parser.add_argument("--rate", type=float, default=30, help="requests/s of steady load")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    return parser.parse_args()


async def new_target(stack: ChaosStack, gateway: str) -> Target:
    conn = await connect(stack.postgres.url)
    try:
        account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('chaos') RETURNING id")
        channel = await conn.fetchval(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'chaos') RETURNING id",
            account,
        )
        key = await key_store.issue(conn, account, "chaos", PUBLIC_SCOPES, actor="chaos")
        spec = IntegrationSpec(name="chaos sender", source="generic", channelId=channel)
        row, token = await integrations.create(conn, account, spec, "token", {}, {})
    finally:
        await conn.close()
    return Target(gateway, key.token, account, channel, f"/webhooks/generic/{row['id']}", token)


async def seconds_to_recover(target: Target) -> float | None:
    """Until a fresh event goes all the way through: accepted, applied, answered 201."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=target.gateway_url, timeout=10) as client:
        while time.monotonic() - started < RECOVERY_LIMIT_SECONDS:
            try:
                probe = await client.post(
                    "/api/public/v1/events",
                    json=event_body(target.channel_id, f"probe {uuid.uuid4().hex}"),
                    headers={"Authorization": f"Bearer {target.key}"},
                )
                if probe.status_code == 201:
                    return round(time.monotonic() - started, 1)
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    return None


async def drain(kafka: KafkaSettings, groups: tuple[ConsumerGroup, ...]) -> bool:
    """Until every one of `groups` has committed all it was sent."""
    monitor = LagMonitor(kafka, watched={group: WATCHED[group] for group in groups})
    await monitor.start()
    try:
        deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if sum(lag.lag for lag in await monitor.partition_lags()) == 0:
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await monitor.stop()


async def run_scenario(
    stack: ChaosStack,
    scenario: Scenario,
    db: asyncpg.Pool,
    rate: float,
    cluster: Cluster | None = None,
) -> dict[str, Any]:
    step(f"scenario: {scenario.name}")
    gateway = (cluster.services if cluster else stack.services)["gateway"].url
    kafka = cluster.settings if cluster else KafkaSettings(bootstrap_servers=stack.kafka.bootstrap)
    target = await new_target(stack, gateway)
    ledger = Ledger()
    ctx = Context(stack, ledger, cluster)
    load = Load(target, ledger, uuid.uuid4().hex[:8], rate)
    await load.start()
    await asyncio.sleep(WARM_SECONDS)
    load.in_fault = True
    try:
        await scenario.fault(ctx)
    except Exception as exc:  # a broken fault is a failed scenario, not a crash
        ctx.problems.append(f"the fault itself failed: {exc!r}"[:500])
    load.in_fault = False
    recover = await seconds_to_recover(target)
    if recover is None:
        ctx.problems.append(f"no end-to-end success within {RECOVERY_LIMIT_SECONDS} s")
    await asyncio.sleep(AFTER_SECONDS)
    await load.stop()
    if not await drain(kafka, CLUSTER_GROUPS if cluster else tuple(ConsumerGroup)):
        ctx.problems.append(f"consumer lag not back to zero within {DRAIN_LIMIT_SECONDS} s")
    check = await ledger.check(db, target.account_id, audit=scenario.audit)
    row = {
        "scenario": scenario.name,
        **asdict(check),
        "recover_seconds": recover,
        "unknown": sum(1 for e in ledger.entries if e.verdict == "unknown"),
        "notes": ctx.notes,
        "problems": ctx.problems,
        "passed": check.passed and not ctx.problems,
    }
    print(f"    {_line(row)}", flush=True)
    return row


async def run_all(stack: ChaosStack, args: argparse.Namespace) -> list[dict[str, Any]]:
    db = await asyncpg.create_pool(stack.postgres.url, min_size=1, max_size=4)
    rows = []
    try:
        for scenario in SCENARIOS:
            if args.only and args.only.lower() not in scenario.name.lower():
                continue
            if scenario.on_cluster:
                rows.append(await _on_a_cluster(stack, scenario, db, args.rate))
            else:
                rows.append(await run_scenario(stack, scenario, db, args.rate))
        if not args.only or args.only.lower() in "poison flood":
            step("scenario: a flood of poison stops the publisher")
            routed, exit_code = await poison_flood(stack)
            stopped = exit_code is not None and exit_code != 0
            rows.append(
                {
                    "scenario": "poison flood stops the publisher",
                    "sent": FLOOD_LIMIT + 10,
                    "acknowledged": 0,
                    "stored": 0,
                    "lost": 0,
                    "duplicated": 0,
                    "reordered": 0,
                    "recover_seconds": None,
                    "notes": [
                        f"{routed} dead-lettered, then the publisher exited with "
                        f"{exit_code} instead of draining the topic"
                    ],
                    "problems": []
                    if stopped and routed == FLOOD_LIMIT
                    else [f"expected exactly {FLOOD_LIMIT} dead letters and a stop"],
                    "passed": stopped and routed == FLOOD_LIMIT,
                }
            )
        if not args.only or args.only.lower() in "new consumer group backlog":
            step("scenario: a new consumer group reads the whole backlog")
            read, expected = await backlog_for_a_new_group(stack)
            rows.append(
                {
                    "scenario": "new consumer group reads the backlog",
                    "sent": expected,
                    "acknowledged": expected,
                    "stored": read,
                    "lost": expected - read,
                    "duplicated": 0,
                    "reordered": 0,
                    "recover_seconds": None,
                    "notes": [f"read {read} of {expected} ingest records"],
                    "problems": [],
                    "passed": read == expected,
                }
            )
    finally:
        await db.close()
    return rows


async def _on_a_cluster(
    stack: ChaosStack, scenario: Scenario, db: asyncpg.Pool, rate: float
) -> dict[str, Any]:
    cluster = Cluster(stack)
    try:
        await cluster.start()
        return await run_scenario(stack, scenario, db, rate, cluster)
    finally:
        await asyncio.to_thread(cluster.stop)


def _line(row: dict[str, Any]) -> str:
    recover = row["recover_seconds"]
    return (
        f"{row['scenario']:<42} {row['sent']:>6} {row['acknowledged']:>6} {row['stored']:>6} "
        f"{row['lost']:>5} {row['duplicated']:>5} {row['reordered']:>5} "
        f"{'-' if recover is None else recover:>8} {'ok' if row['passed'] else 'FAIL':>5}"
    )


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"\n{'scenario':<42} {'sent':>6} {'acked':>6} {'stored':>6} {'lost':>5} {'dup':>5} "
        f"{'reord':>5} {'recover s':>8} {'':>5}"
    )
    for row in rows:
        print(_line(row))
        for note in row["notes"]:
            print(f"    {note}")
        for problem in row["problems"]:
            print(f"    PROBLEM: {problem}")


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop the stack below
    stack = ChaosStack()
    try:
        stack.start_servers()
        step("applying migrations and creating topics")
        asyncio.run(
            prepare_servers(
                stack.postgres.url, KafkaSettings(bootstrap_servers=stack.kafka.bootstrap)
            )
        )
        stack.start_services()
        rows = asyncio.run(run_all(stack, args))
    finally:
        step("stopping the chaos stack")
        stack.stop_all()
    print_table(rows)
    report = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rate": args.rate,
        "scenarios": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"chaos-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    (args.out / "chaos-latest.json").write_text(json.dumps(report, indent=2))
    failed = [row["scenario"] for row in rows if not row["passed"]]
    print(f"\nwritten to {path}")
    print(f"FAILED: {', '.join(failed)}" if failed else "every invariant held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
