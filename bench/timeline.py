"""What the box did while a load ran, every half second, and the seconds whose latency spiked.

A run's p99 is decided by a few seconds whose latency jumps to several times the rest, and
the runs differ mostly in those. Beside each load this samples, every `INTERVAL` seconds,
each service's CPU (share of one core, from /proc, process trees as in `procstats`), the CPU
of PostgreSQL's autovacuum workers and the tables they are on (`pg_stat_activity`) and of its
checkpointer, and the machine's busy and steal shares (/proc/stat). `spikes` then names, for
every second of sends whose accepted p99 exceeds twice the run's median second (and 20 ms
more), what else the box was doing while those requests waited.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg

INTERVAL = 0.5  # seconds between samples
_TICKS = os.sysconf("SC_CLK_TCK")

AUTOVACUUM_TITLE = b"postgres: autovacuum worker"
CHECKPOINTER_TITLE = b"postgres: checkpointer"
AUTOVACUUM_TABLES = """
    SELECT query FROM pg_stat_activity
    WHERE backend_type = 'autovacuum worker' AND query <> ''
"""


@dataclass(frozen=True)
class Tick:
    """One interval ending at `at` (Unix time, seconds). CPU figures are shares of one core
    (100 = a whole core); `busy` and `steal` are shares of the whole machine (all cores)."""

    at: float
    cpu: dict[str, float]
    autovacuum: float
    autovacuum_work: list[str] = field(default_factory=list)
    checkpointer: float = 0.0
    busy: float = 0.0
    steal: float = 0.0


class Timeline:
    """`async with Timeline(pids, pool) as timeline:` samples until the block ends;
    `timeline.ticks` then holds one `Tick` per interval. `pids` maps a name to a process
    whose tree is counted under that name (as `bench.scenarios.snapshot`)."""

    def __init__(self, pids: dict[str, int], pool: asyncpg.Pool | None) -> None:
        self.pids, self.pool = pids, pool
        self.ticks: list[Tick] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Timeline:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self) -> None:
        before, machine = self._snapshot(), _machine()
        while True:
            await asyncio.sleep(INTERVAL)
            now, now_machine = self._snapshot(), _machine()
            wall = max(now_machine[2] - machine[2], 1e-3)
            total = max(now_machine[3] - machine[3], 1)
            self.ticks.append(Tick(
                at=time.time(),
                cpu={name: round(100 * (now.cpu[name] - before.cpu.get(name, now.cpu[name]))
                                 / wall, 1) for name in now.cpu},
                autovacuum=_share(now.autovacuum, before.autovacuum, wall),
                autovacuum_work=await self._autovacuum_work(),
                checkpointer=_share(now.checkpointer, before.checkpointer, wall),
                busy=round(100 * (now_machine[0] - machine[0]) / total, 1),
                steal=round(100 * (now_machine[1] - machine[1]) / total, 1),
            ))  # fmt: skip
            before, machine = now, now_machine

    def _snapshot(self) -> _Snapshot:
        """CPU seconds so far: each named tree's, and by pid, PostgreSQL's autovacuum workers'
        and its checkpointer's, from one pass over /proc."""
        processes = _processes()
        children = _children(processes)
        # Exited children's CPU is in their parent's (cutime, cstime), so a connection closed
        # between two samples keeps its CPU in the tree.
        cpu = {
            name: sum(processes[pid].tree_cpu for pid in _tree(root, children) if pid in processes)
            for name, root in self.pids.items()
        }
        found: dict[bytes, dict[int, float]] = {AUTOVACUUM_TITLE: {}, CHECKPOINTER_TITLE: {}}
        postmaster = self.pids.get("postgres")
        for pid in _tree(postmaster, children) if postmaster is not None else []:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
                for prefix, by_pid in found.items():
                    if pid in processes and title.startswith(prefix):
                        by_pid[pid] = processes[pid].own_cpu
        return _Snapshot(cpu, found[AUTOVACUUM_TITLE], found[CHECKPOINTER_TITLE])

    async def _autovacuum_work(self) -> list[str]:
        if self.pool is None:
            return []
        try:
            rows = await self.pool.fetch(AUTOVACUUM_TABLES, timeout=INTERVAL)
        except (TimeoutError, asyncpg.PostgresError, OSError):
            return []
        return sorted(row["query"].removeprefix("autovacuum: ") for row in rows)


@dataclass(frozen=True)
class _Snapshot:
    cpu: dict[str, float]  # seconds, by name of a process tree
    autovacuum: dict[int, float]  # seconds, by pid
    checkpointer: dict[int, float]


def _share(now: dict[int, float], before: dict[int, float], wall: float) -> float:
    """The processes' CPU between two snapshots as a share of a core; one first seen now
    started within the interval, so it counts from 0."""
    return round(
        100 * sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items()) / wall, 1
    )


@dataclass(frozen=True)
class _Process:
    parent: int
    own_cpu: float  # seconds: utime + stime
    tree_cpu: float  # seconds: own_cpu + its exited children's (cutime + cstime)


def _processes() -> dict[int, _Process]:
    """Every process on the box, in one pass over /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        own = (int(fields[11]) + int(fields[12])) / _TICKS
        exited = (int(fields[13]) + int(fields[14])) / _TICKS
        found[int(entry.name)] = _Process(int(fields[1]), own, own + exited)
    return found


def _children(processes: dict[int, _Process]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for pid, process in processes.items():
        children.setdefault(process.parent, []).append(pid)
    return children


def _tree(root: int, children: dict[int, list[int]]) -> list[int]:
    """`root` and its descendants (the postmaster runs under `runuser` when started as root)."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _machine() -> tuple[int, int, float, int]:
    """(busy, steal, monotonic seconds, total) from /proc/stat's first line; busy, steal and
    total in jiffies of all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, steal = fields[3] + fields[4], fields[7]
    return sum(fields) - idle - steal, steal, time.monotonic(), sum(fields)


def spikes(samples: list[dict[str, Any]], ticks: list[Tick], shown: int = 8) -> dict[str, Any]:
    """Per second of scheduled sends (`sent_at`, Unix seconds): the accepted requests' p99.
    A spike is a second whose p99 exceeds max(2 x the median second's, median + 20 ms). For
    each (worst first, at most `shown`): its p99 in ms, and over the ticks from its first send
    to its slowest answer, the mean autovacuum CPU and what it worked on, the checkpointer's
    CPU, the steal, and the
    services whose CPU differed most from their run median (share of a core)."""
    seconds: dict[int, list[float]] = {}
    for s in samples:
        if "sent_at" in s and 200 <= s["status"] < 300:
            seconds.setdefault(int(s["sent_at"]), []).append(s["latency"])
    if not seconds:
        return {"median_second_p99_ms": None, "spikes": [], "spike_seconds": 0}
    p99 = {second: _p99(latencies) for second, latencies in seconds.items()}
    median = statistics.median(p99.values())
    bound = max(2 * median, median + 0.020)
    usual = {
        name: statistics.median(t.cpu.get(name, 0.0) for t in ticks)
        for name in (ticks[0].cpu if ticks else {})
    }
    found = []
    for second, worst in sorted(p99.items(), key=lambda item: -item[1]):
        if worst <= bound:
            break
        during = [t for t in ticks if second < t.at <= second + 1 + worst + INTERVAL]
        found.append(_spike(second, worst, during, usual))
    first = min(seconds)
    return {
        "median_second_p99_ms": round(median * 1000, 1),
        "spike_seconds": len(found),
        "seconds_with_autovacuum": sum(1 for s in found if s["autovacuum_cpu"] >= 5),
        "spikes": [s | {"second": s["second"] - first} for s in found[:shown]],
        "autovacuum_work": sorted({w for t in ticks for w in t.autovacuum_work}),
        "ticks": [asdict(t) | {"at": round(t.at - first, 2)} for t in ticks],
    }


def _spike(
    second: int, worst: float, during: list[Tick], usual: dict[str, float]
) -> dict[str, Any]:
    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 1) if values else 0.0

    moved = {name: mean([t.cpu.get(name, 0.0) for t in during]) - usual[name] for name in usual}
    return {
        "second": second,
        "p99_ms": round(worst * 1000, 1),
        "autovacuum_cpu": mean([t.autovacuum for t in during]),
        "autovacuum_work": sorted({w for t in during for w in t.autovacuum_work}),
        "checkpointer_cpu": mean([t.checkpointer for t in during]),
        "steal": mean([t.steal for t in during]),
        "busy": mean([t.busy for t in during]),
        "cpu_moved": {name: round(d, 1) for name, d in
                      sorted(moved.items(), key=lambda item: -abs(item[1]))[:3]},
    }  # fmt: skip


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
