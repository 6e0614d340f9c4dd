"""What the same box does without us: Kafka's own producer perf test, raw inserts, and what
a short burst of Python work costs after the process has slept."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from devstack.kafka import TOOLS_POM, ensure_jars, kafka_version

BASELINE_TOPIC = "pinned.bench.baseline"
_RESULT = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency.*?"
    r"([\d.]+) ms max latency.*?([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th"
)


async def kafka_producer_baseline(
    bootstrap: str, cache_dir: Path, records: int, record_size: int, partitions: int
) -> dict[str, Any]:
    """kafka-producer-perf-test with acks=all, our record size and our partition count."""
    libs = ensure_jars(cache_dir, TOOLS_POM, name="kafka-tools")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if BASELINE_TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(BASELINE_TOPIC, partitions, 1)])
    finally:
        await admin.close()
    argv = [
        "java", "-Xmx512m", "-cp", f"{libs}/*", "org.apache.kafka.tools.ProducerPerformance",
        "--topic", BASELINE_TOPIC, "--num-records", str(records),
        "--record-size", str(record_size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all",
        "enable.idempotence=true", "linger.ms=2",
    ]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, check=True)
    output = done.stdout
    match = _RESULT.search(output.strip().splitlines()[-1])
    if match is None:
        return {"error": "could not parse kafka-producer-perf-test output", "output": output[-500:]}
    sent, rate, avg, worst, p50, p95, p99 = match.groups()
    return {
        "tool": f"kafka-producer-perf-test (kafka-tools {kafka_version(TOOLS_POM)}), acks=all,"
        " idempotent",
        "records": int(sent), "record_size_bytes": record_size,
        "records_per_second": float(rate), "latency_ms": {
            "avg": float(avg), "p50": float(p50), "p95": float(p95), "p99": float(p99),
            "max": float(worst)},
    }  # fmt: skip


async def postgres_insert_baseline(database_url: str, rows: int, batch: int) -> dict[str, Any]:
    """Inserts of event-sized rows (uuid key, jsonb body), `batch` rows per transaction."""
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    body = '{"title": "Bench event", "timezone": "America/New_York", "classifications": ["music"]}'
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id uuid PRIMARY KEY, body jsonb NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute("TRUNCATE bench_baseline")
        started = time.perf_counter()
        for _ in range(rows // batch):
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO bench_baseline (id, body) VALUES ($1, $2::jsonb)",
                    [(uuid.uuid4(), body) for _ in range(batch)],
                )
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_baseline")
    finally:
        await conn.close()
    inserted = (rows // batch) * batch
    return {"method": f"asyncpg executemany, {batch} rows per transaction", "rows": inserted,
            "rows_per_second": inserted / elapsed}  # fmt: skip


# A unit of work shaped like a slice of a request (a small JSON document decoded and encoded,
# tens of microseconds), and the idle gap between requests at a few hundred per second.
_BURST_DOCUMENT = {f"field{i}": [i, str(i) * 5, {"nested": i}] for i in range(15)}
_IDLE_SECONDS = 0.005


def _burst() -> None:
    for _ in range(3):
        json.loads(json.dumps(_BURST_DOCUMENT))


def burst_cost(units: int = 400) -> dict[str, Any]:
    """CPU time (microseconds, this thread's, median of `units`) of the same small unit of
    Python work run back to back and run right after sleeping 5 ms.

    On a box whose caches are taken by others while a process is away (a virtual machine's
    neighbours; spinning instead of sleeping changes nothing), the second is several times
    the first, and so is the CPU per request of a service that handles requests one at a
    time at a moderate rate: its CPU per event falls as the rate rises and more work shares
    each wake-up. It explains why the same code measures differently on two days; the run's
    figures carry it."""
    back_to_back, after_idle = [], []
    for _ in range(units):
        _burst()  # warms the unit, so back_to_back times a warm second run
        started = time.thread_time()
        _burst()
        back_to_back.append(time.thread_time() - started)
        time.sleep(_IDLE_SECONDS)
        started = time.thread_time()
        _burst()
        after_idle.append(time.thread_time() - started)
    warm = round(statistics.median(back_to_back) * 1e6, 1)
    cold = round(statistics.median(after_idle) * 1e6, 1)
    return {"unit": "a 600-byte JSON document decoded and encoded three times",
            "idle_ms": _IDLE_SECONDS * 1000, "back_to_back_us": warm, "after_idle_us": cold,
            "ratio": round(cold / warm, 2)}  # fmt: skip
