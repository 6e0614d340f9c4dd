"""Open-model GET load for the discovery scenario, run as its own process: request i (path
i modulo the list) is sent at t0 + i/rate whatever happened to earlier ones, and its latency
is measured from that scheduled time (no coordinated omission), as bench.load does for POSTs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load import CONNECTIONS, MAX_IN_FLIGHT, Connection


async def run(url: str, paths: list[str], rate: float, seconds: float) -> list[dict[str, Any]]:
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    requests = [f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode() for p in paths]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        idle.put_nowait(Connection(host, port))
    samples: list[dict[str, Any]] = []
    in_flight: set[asyncio.Task[None]] = set()
    start = time.perf_counter()

    async def send(index: int, scheduled: float) -> None:
        sample: dict[str, Any] = {}
        connection = await idle.get()
        try:
            sample["status"], _ = await connection.exchange(requests[index % len(requests)])
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            sample["status"], sample["error"] = 0, type(exc).__name__
        finally:
            idle.put_nowait(connection)
        sample["latency"] = time.perf_counter() - scheduled
        samples.append(sample)

    for index in range(int(rate * seconds)):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= MAX_IN_FLIGHT:
            samples.append({"status": -1, "latency": 0.0, "error": "client_overloaded"})
            continue
        task = asyncio.create_task(send(index, scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.read_load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--paths", type=Path, required=True, help="JSON list of paths")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    paths = json.loads(args.paths.read_text())
    args.out.write_text(json.dumps(asyncio.run(run(args.url, paths, args.rate, args.seconds))))


if __name__ == "__main__":
    main()
