"""The benchmark's timeline: which seconds count as spikes, and what is put beside them."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from bench.timeline import INTERVAL, Tick, Timeline, spikes

START = 1_800_000_000  # Unix seconds of the first send


def sends(second: int, latencies: list[float], status: int = 202) -> list[dict[str, Any]]:
    return [
        {"sent_at": START + second + i / len(latencies), "status": status, "latency": latency}
        for i, latency in enumerate(latencies)
    ]


def tick(at: float, autovacuum: float = 0.0, gateway: float = 60.0, **more: Any) -> Tick:
    return Tick(at=START + at, cpu={"gateway": gateway, "postgres": 20.0},
                autovacuum=autovacuum, **more)  # fmt: skip


def test_a_second_whose_p99_doubles_is_a_spike_named_with_what_ran_meanwhile() -> None:
    samples = [s for second in range(10) for s in sends(second, [0.010] * 100)]
    samples += sends(6, [0.300] * 5 + [0.010] * 95)
    ticks = [tick(t / 2) for t in range(1, 24)]
    ticks[11] = tick(6.0, autovacuum=35.0, gateway=30.0, autovacuum_work=["ANALYZE public.events"])
    ticks[12] = tick(6.5, autovacuum=33.0, gateway=30.0, autovacuum_work=["ANALYZE public.events"])

    found = spikes(samples, ticks)

    assert found["median_second_p99_ms"] == 10.0
    assert found["spike_seconds"] == 1
    assert found["seconds_with_autovacuum"] == 1
    (spike,) = found["spikes"]
    assert spike["second"] == 6
    assert spike["p99_ms"] == 300.0
    assert spike["autovacuum_work"] == ["ANALYZE public.events"]
    assert 0 < spike["autovacuum_cpu"] < 35.0  # the mean over every tick the wait spanned
    assert next(iter(spike["cpu_moved"])) == "gateway"
    assert spike["cpu_moved"]["gateway"] < 0
    assert found["autovacuum_work"] == ["ANALYZE public.events"]


def test_refusals_and_small_wobbles_are_not_spikes() -> None:
    samples = [s for second in range(5) for s in sends(second, [0.010] * 50)]
    samples += sends(2, [0.025])  # over twice the median, but within 20 ms of it
    samples += sends(3, [5.0] * 10, status=503)
    found = spikes(samples, [tick(t) for t in range(1, 6)])
    assert found["spike_seconds"] == 0
    assert found["spikes"] == []


def test_a_load_with_nothing_accepted_has_no_median() -> None:
    found = spikes(sends(0, [0.001] * 3, status=503), [])
    assert found == {"median_second_p99_ms": None, "spikes": [], "spike_seconds": 0}


async def started(code: str, title: str = "python") -> asyncio.subprocess.Process:
    """A Python process running `code`, its argv[0] `title` (as PostgreSQL retitles its
    workers), once its interpreter has started (its start-up CPU would otherwise fall into
    the first interval)."""
    process = await asyncio.create_subprocess_exec(
        title, "-c", f"print('ready', flush=True)\n{code}",
        executable=sys.executable, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"
    return process


@pytest.mark.asyncio
async def test_samples_process_trees_and_postgres_autovacuum_workers() -> None:
    busy = await started("while True: pass")
    idle = await started("import time; time.sleep(30)")
    vacuum = await started("while True: pass", title="postgres: autovacuum worker pinned")
    processes = (busy, idle, vacuum)
    try:
        pids = {"busy": busy.pid, "idle": idle.pid, "postgres": vacuum.pid}
        async with Timeline(pids, None) as timeline:
            await asyncio.sleep(INTERVAL * 4.5)
    finally:
        for process in processes:
            process.kill()
            await process.wait()
    assert len(timeline.ticks) >= 3
    assert all(t.cpu["idle"] == 0.0 for t in timeline.ticks)
    assert sum(t.cpu["busy"] for t in timeline.ticks) > 0
    # Only the retitled process counts as autovacuum, and all of its CPU does.
    assert sum(t.autovacuum for t in timeline.ticks) > 0
    assert [t.autovacuum for t in timeline.ticks] == [t.cpu["postgres"] for t in timeline.ticks]
    assert all(0 <= t.busy <= 100 for t in timeline.ticks)


@pytest.mark.asyncio
async def test_the_checkpointer_is_told_apart_from_autovacuum() -> None:
    checkpointer = await started("while True: pass", title="postgres: checkpointer")
    try:
        async with Timeline({"postgres": checkpointer.pid}, None) as timeline:
            await asyncio.sleep(INTERVAL * 3.5)
    finally:
        checkpointer.kill()
        await checkpointer.wait()
    assert len(timeline.ticks) >= 2
    assert sum(t.checkpointer for t in timeline.ticks) > 0
    assert all(t.autovacuum == 0 for t in timeline.ticks)
