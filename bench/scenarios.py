"""The benchmark's scenarios against the running stack."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from bench.load import API_CONNECTIONS, event_body
from bench.procstats import Usage, busy_percent, cpu_times, tree_usage
from bench.timeline import Timeline, spikes
from shared.contracts.messages import CreateEvent, IngestEnvelope, derive_event_id, encode
from shared.contracts.topics import Topic
from shared.domain.events import parse_event


@dataclass(frozen=True)
class Tenant:
    account_id: int
    channel_id: int
    key: str


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """`percentiles` of durations in seconds, in milliseconds."""
    return {k: v * 1000 for k, v in percentiles(seconds).items()}


def usage_delta(before: dict[str, Usage], after: dict[str, Usage], wall: float) -> dict[str, Any]:
    return {
        name: {
            "cpu_percent": round(
                100 * (after[name].cpu_seconds - before[name].cpu_seconds) / wall, 1
            ),
            "cpu_seconds": round(after[name].cpu_seconds - before[name].cpu_seconds, 3),
            "peak_rss_mib": round(after[name].peak_rss_bytes / 2**20, 1),
            "rss_mib": round(after[name].rss_bytes / 2**20, 1),
        }
        for name in after
    }


def snapshot(pids: dict[str, int]) -> dict[str, Usage]:
    return {name: tree_usage(pid) for name, pid in pids.items()}


async def api_scenario(
    gateway_url: str,
    tenant: Tenant,
    rate: float,
    seconds: float,
    pool: asyncpg.Pool,
    pids: dict[str, int],
    work_dir: Path,
    webhook: tuple[str, str] | None = None,
    connections: int = API_CONNECTIONS,
) -> dict[str, Any]:
    """POST /events (or, with `webhook` = (path, token), a generic sender's deliveries) at a
    fixed offered rate from a separate process, over at most `connections`; then wait for
    the rows."""
    before, started, machine = snapshot(pids), time.perf_counter(), cpu_times()
    children_cpu = _children_cpu_seconds()
    async with Timeline(pids, pool) as timeline:
        samples = await run_load(gateway_url, tenant, work_dir,
                                 ["--rate", str(rate), "--seconds", str(seconds)], webhook,
                                 connections)  # fmt: skip
    load_wall = time.perf_counter() - started
    machine_busy = busy_percent(machine, cpu_times())
    load_generator_cpu = 100 * (_children_cpu_seconds() - children_cpu) / load_wall
    accepted = [s for s in samples if 200 <= s["status"] < 300]
    stored = await wait_for_rows(pool, [s["event_id"] for s in accepted], within=120)
    after = snapshot(pids)
    stored_lag = [
        (stored[s["event_id"]] - s["sent_at"]) for s in accepted if s["event_id"] in stored
    ]
    created = sorted(stored.values())
    return {
        "scenario": "webhook deliveries (generic JSON sender, POST /webhooks/generic/{id})"
        if webhook else "single-event API (POST /api/public/v1/events, Prefer: respond-async)",
        "offered_rate": rate, "seconds": seconds, "requests": len(samples),
        "client_connections": connections,
        "accepted": len(accepted), "accepted_per_second": len(accepted) / seconds,
        "errors": len(samples) - len(accepted),
        "error_statuses": _count(s["status"] for s in samples if not 200 <= s["status"] < 300),
        # Status 0: no answer at all (the client's exception by name).
        "unanswered": _count(s["error"] for s in samples if s["status"] == 0),
        "client_retries": sum(1 for s in samples if s.get("retried")),
        "accept_latency_ms": percentiles_ms([s["latency"] for s in accepted]),
        "request_to_stored_ms": percentiles_ms(stored_lag),
        "load_generator_lag_ms": percentiles_ms(
            [s["client_lag"] for s in samples if "client_lag" in s]),
        "connection_wait_ms": percentiles_ms(
            [s["connection_wait"] for s in samples if "connection_wait" in s]),
        "stored": len(stored), "lost": len(accepted) - len(stored),
        "publisher_rows_per_second": _rate(created),
        "machine_busy_percent": machine_busy, "load_average": os.getloadavg(),
        "load_generator_cpu_percent": round(load_generator_cpu, 1),
        "process_usage": usage_delta(before, after, max(load_wall, 1e-3)),
        "timeline": spikes(samples, timeline.ticks),
    }  # fmt: skip


async def run_load(
    gateway_url: str,
    tenant: Tenant,
    work_dir: Path,
    schedule: list[str],
    webhook: tuple[str, str] | None = None,
    connections: int | None = None,
) -> list[dict[str, Any]]:
    """Run `bench.load` as its own process with `schedule` (--rate/--seconds or --phases);
    its samples."""
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    out = work_dir / f"{run_id}.json"
    await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "bench.load", "--url", gateway_url, f"--key={tenant.key}",
        "--channel", str(tenant.channel_id), *schedule, "--run-id", run_id, "--out", str(out),
        *(["--webhook", webhook[0], f"--key={webhook[1]}"] if webhook else []),
        *(["--connections", str(connections)] if connections else []),
    ], check=True)  # fmt: skip
    samples: list[dict[str, Any]] = json.loads(out.read_text())
    return samples


async def batch_scenario(
    gateway_urls: list[str],
    tenant: Tenant,
    batches: int,
    size: int,
    pool: asyncpg.Pool,
    pids: dict[str, int],
) -> dict[str, Any]:
    """POST /events/batch from 4 concurrent senders spread over the gateways; events/s from
    first send to last row."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(batches):
        queue.put_nowait(number)
    latencies: list[float] = []
    accepted: list[str] = []
    refusals: list[int] = []
    headers = {"Authorization": f"Bearer {tenant.key}"}

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            number = queue.get_nowait()
            items = [
                {
                    **event_body(tenant.channel_id, number * size + i),
                    "idempotencyKey": f"batch-{number}-{i}",
                }
                for i in range(size)
            ]
            started = time.perf_counter()
            while True:
                response = await client.post(
                    "/api/public/v1/events/batch", json={"events": items}, headers=headers
                )
                if response.status_code not in (429, 503):
                    break
                # Refused whole (admission control, a quota): sent again as a client would,
                # after Retry-After; the items' idempotency keys make a resend safe.
                refusals.append(response.status_code)
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"batch answered {response.status_code}: {response.text[:300]}")
            accepted.extend(
                r["id"] for r in response.json()["results"] if r["status"] == "accepted"
            )

    before, began = snapshot(pids), time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=120))
            for url in gateway_urls
        ]
        await asyncio.gather(*(sender(clients[i % len(clients)]) for i in range(4)))
    accept_seconds = time.perf_counter() - began
    stored = await wait_for_rows(pool, accepted, within=600)
    total_seconds = time.perf_counter() - began
    return {
        "scenario": f"batch endpoint ({size} events per request, 4 concurrent senders)",
        "gateways": len(gateway_urls),
        "events": batches * size,
        "accepted": len(accepted),
        "stored": len(stored),
        "lost": len(accepted) - len(stored),
        "refused_requests": {str(code): refusals.count(code) for code in sorted(set(refusals))},
        "accepted_events_per_second": len(accepted) / accept_seconds,
        "events_to_rows_per_second": len(stored) / total_seconds,
        "request_latency_ms": percentiles_ms(latencies),
        "load_average": os.getloadavg(),
        "process_usage": usage_delta(before, snapshot(pids), total_seconds),
    }


async def backlog_scenario(
    bootstrap: str,
    tenant: Tenant,
    commands: int,
    pool: asyncpg.Pool,
    start_publishers: Callable[[], None],
    pids: dict[str, int],
) -> dict[str, Any]:
    """With the publishers stopped, fill the ingest topic; then time the drain to rows."""
    produced_in = await _produce_backlog(bootstrap, tenant, commands)
    print(
        f"    backlog of {commands} commands produced in {produced_in:.1f}s; publisher starts",
        flush=True,
    )
    inserted_before = await inserted_events(pool)
    started = time.perf_counter()
    start_publishers()
    before = snapshot(pids)
    publishers = [name for name in pids if name.startswith("publisher")]
    # Progress from PostgreSQL's counters; a count(*) of the tenant's rows every second took
    # 18% of a core at a million rows, inside the measurement. A backend that goes idle
    # reports its last inserts to the counters up to 10 s later (PGSTAT_IDLE_INTERVAL), so
    # once they stop moving the rows are counted instead: the end of the drain is not held
    # up by a counter that stopped short of it.
    counted = -1
    while (done := await inserted_events(pool) - inserted_before) < commands or (
        done := await rows_of(pool, tenant.account_id)
    ) < commands:
        if done == counted and (done := await rows_of(pool, tenant.account_id)) >= commands:
            break
        counted = done
        if time.perf_counter() - started > 1800:
            break
        print(f"    stored {done}/{commands}", end="\r", flush=True)
        await asyncio.sleep(1)
    drain = time.perf_counter() - started
    after = snapshot(pids)
    # The change relay may still be sending the rows' records: its CPU counts per row too.
    behind = await outbox_rows(pool)
    while (waiting := await outbox_rows(pool)) and time.perf_counter() - started < 1800:
        print(f"    change records to relay {waiting}      ", end="\r", flush=True)
        await asyncio.sleep(0.5)
    relayed_in = time.perf_counter() - started
    relayed = snapshot(pids)
    first, last = await pool.fetchrow(
        "SELECT extract(epoch FROM min(created_at)), extract(epoch FROM max(created_at))"
        " FROM events WHERE owner_account_id = $1", tenant.account_id)  # fmt: skip
    print()
    return {
        "scenario": "publisher draining a backlog",
        "publishers": len(publishers),
        "commands": commands, "stored": done, "drain_seconds_incl_startup": drain,
        "rows_per_second": done / max(float(last - first), 1e-3) if first else 0.0,
        "load_average": os.getloadavg(),
        "process_usage": {
            name: use for name, use in usage_delta(before, after, drain).items()
            if name in publishers
        },
        # Every process of the box, the publishers' neighbours too: what the drain costs the
        # projector, the notifier, Kafka and PostgreSQL on the same cores.
        "box_usage": usage_delta(before, after, drain),
        "outbox_rows_at_drain_end": behind,
        "relayed_seconds_incl_startup": relayed_in,
        "process_usage_until_relayed": {
            name: use for name, use in usage_delta(before, relayed, relayed_in).items()
            if name in publishers
        },
    }  # fmt: skip


async def outbox_rows(pool: asyncpg.Pool) -> int:
    """Change records not yet relayed."""
    return int(await pool.fetchval("SELECT count(*) FROM event_changes"))


async def _produce_backlog(bootstrap: str, tenant: Tenant, commands: int) -> float:
    event = parse_event(event_body(tenant.channel_id, 0))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=20, max_batch_size=256 * 1024)  # fmt: skip
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for index in range(commands):
            key = f"backlog-{index}"
            envelope = IngestEnvelope(
                message_id=uuid.uuid4(), request_id=f"bench-backlog-{index}",
                received_at=datetime.now(UTC), owner_id=tenant.account_id,
                idempotency_key=key, request_hash="bench",
                command=CreateEvent(event_id=derive_event_id(tenant.account_id, key), event=event),
                awaited_until=None,  # as the gateway sends respond-async requests' commands
            )  # fmt: skip
            pending.append(
                await producer.send(
                    Topic.INGEST, encode(envelope), key=str(envelope.command.event_id).encode()
                )
            )
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def wait_for_rows(pool: asyncpg.Pool, ids: list[str], within: float) -> dict[str, float]:
    deadline = time.monotonic() + within
    while True:
        rows = await pool.fetch(
            "SELECT id::text, extract(epoch FROM created_at)::float8 AS at FROM events"
            " WHERE id = ANY($1::uuid[])", ids)  # fmt: skip
        if len(rows) >= len(ids) or time.monotonic() > deadline:
            return {r["id"]: r["at"] for r in rows}
        await asyncio.sleep(0.5)


async def inserted_events(pool: asyncpg.Pool) -> int:
    """Rows ever inserted into `events`, by PostgreSQL's cumulative statistics."""
    return int(await pool.fetchval(
        "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'events'"))  # fmt: skip


async def rows_of(pool: asyncpg.Pool, account_id: int) -> int:
    return int(await pool.fetchval(
        "SELECT count(*) FROM events WHERE owner_account_id = $1", account_id))  # fmt: skip


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rate(times: list[float]) -> float:
    return len(times) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts
