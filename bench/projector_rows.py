"""`python -m bench.projector_rows`: PostgreSQL's CPU per row of the discovery projector's
writes, and what each part of the read model adds to it.

`make bench`'s statement table ranks statements by their time inside PostgreSQL, which on a
busy box is mostly waiting for a core: the read model's INSERT led it (33-44% at 250-1,000
requests/s). Here the projector's whole write (`project`: version gate, rows replaced, scopes
bumped) runs alone against a stack of its own (profile `bench`, PINNED_PORT_OFFSET applies),
on a read model of `--prefill` bench events, in batches of `--batch` (the size a steady
500/s gives it). Each variant drops one part of the table (an index, the classifications
trigger) inside a transaction that is rolled back, so every variant starts from the same
table; variants alternate `--rounds` times. PostgreSQL's CPU is its process tree's, from
/proc; medians are printed and written to `results/projector-rows-*.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.procstats import tree_usage
from devstack.stack import BENCH, servers
from services.discovery.projector.rows import Projected, ReadRow
from services.discovery.projector.store import project

# Each variant's statements run inside the transaction that is rolled back after it.
VARIANTS: dict[str, list[str]] = {
    "as it is": [],
    "without the classifications trigger": [
        "ALTER TABLE discovery_events DISABLE TRIGGER discovery_events_classifications_added"
    ],
    "without the search GIN": ["DROP INDEX discovery_events_search"],
    "without the point GiST": ["DROP INDEX discovery_events_point"],
    "without the classifications GIN": ["DROP INDEX discovery_events_classifications"],
}


def bench_event(index: int) -> Projected:
    """The read model's row of `bench.load.event_body`'s event, as the projector builds it."""
    event_id = uuid.uuid4()
    start = datetime(2026, 6, 12, 22, 0, tzinfo=UTC) + timedelta(minutes=index % 5000)
    title = f"Bench event {index}"
    city = {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}
    view = {"id": str(event_id), "channelId": 7, "title": title, "startAt": start.isoformat(),
            "timezone": "America/New_York", "classifications": ["music"],
            "status": "published", "approxLocation": {"city": city}, "version": 1}  # fmt: skip
    row = ReadRow(event_id, event_id, None, 1, 7, "published", title, start, None,
                  "America/New_York", start.date(), "place-new-york", 40.71, -74.01, ["music"],
                  title, "New York", "", view, datetime.now(UTC))  # fmt: skip
    return Projected(event_id, 1, row.changed_at, [row], None)


async def measure(
    database_url: str, postgres_pid: int, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    conn = await asyncpg.connect(database_url)
    try:
        for start in range(0, args.prefill, 500):
            async with conn.transaction():
                await project(conn, [bench_event(start + k) for k in range(500)])
        await conn.execute("VACUUM ANALYZE discovery_events")
        rows = args.batch * args.batches
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for round_number in range(args.rounds):
            for name, statements in VARIANTS.items():
                batches = [[bench_event(b * args.batch + k) for k in range(args.batch)]
                           for b in range(args.batches)]  # fmt: skip
                transaction = conn.transaction()
                await transaction.start()
                for statement in statements:
                    await conn.execute(statement)
                cpu_before, wall_before = tree_usage(postgres_pid).cpu_seconds, time.perf_counter()
                for batch in batches:
                    await project(conn, batch)
                cpu = (tree_usage(postgres_pid).cpu_seconds - cpu_before) / rows * 1e6
                wall = (time.perf_counter() - wall_before) / rows * 1e6
                await transaction.rollback()
                figures[name].append((cpu, wall))
                print(f"round {round_number + 1} {name}: PostgreSQL {cpu:.0f} us of CPU, "
                      f"{wall:.0f} us of wall time per row", flush=True)  # fmt: skip
        return {
            name: {"postgres_cpu_us_per_row": statistics.median(c for c, _ in runs),
                   "wall_us_per_row": statistics.median(w for _, w in runs)}
            for name, runs in figures.items()
        }  # fmt: skip
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.projector_rows")
    parser.add_argument("--prefill", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=37)
    parser.add_argument("--batches", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with servers(BENCH) as started:
        postgres = started.processes.get("postgres")
        if postgres is None:
            raise SystemExit("needs a PostgreSQL of its own (unset DATABASE_URL): its CPU is read")
        medians = asyncio.run(measure(started.database_url, postgres.pid, args))
    for name, figure in medians.items():
        print(f"{name:38s} {figure['postgres_cpu_us_per_row']:5.0f} us of PostgreSQL CPU, "
              f"{figure['wall_us_per_row']:5.0f} us of wall time per row (medians)")  # fmt: skip
    out = Path("results") / f"projector-rows-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"settings": vars(args), "medians": medians}, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
