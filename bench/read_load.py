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

from bench.load import CONNECTIONS, idle_connections, open_model, schedule


async def run(
    urls: list[str], paths: list[str], rate: float, seconds: float
) -> list[dict[str, Any]]:
    """Requests go round-robin over `urls` (replicas of one service, as a load balancer
    would spread them), each over its own pool of keep-alive connections."""
    targets = [urlsplit(url) for url in urls]
    pools = [
        idle_connections(t.hostname or "127.0.0.1", t.port or 80, CONNECTIONS) for t in targets
    ]
    # As calendar apps and feed readers do: they accept gzip.
    requests = [
        [
            f"GET {p} HTTP/1.1\r\nHost: {t.netloc}\r\nAccept-Encoding: gzip\r\n\r\n".encode()
            for p in paths
        ]
        for t in targets
    ]
    samples: list[dict[str, Any]] = []
    start = time.perf_counter()

    async def send(index: int, scheduled: float) -> None:
        sample: dict[str, Any] = {}
        replica = index % len(pools)
        idle = pools[replica]
        connection = await idle.get()
        try:
            sample["status"], _, _ = await connection.exchange(
                requests[replica][index % len(paths)]
            )
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            sample["status"], sample["error"] = 0, type(exc).__name__
        finally:
            idle.put_nowait(connection)
        sample["latency"] = time.perf_counter() - scheduled
        samples.append(sample)

    await open_model(schedule([(rate, seconds)]), send, samples, start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.read_load")
    parser.add_argument("--url", required=True, action="append", help="repeat per replica")
    parser.add_argument("--paths", type=Path, required=True, help="JSON list of paths")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    paths = json.loads(args.paths.read_text())
    args.out.write_text(json.dumps(asyncio.run(run(args.url, paths, args.rate, args.seconds))))


if __name__ == "__main__":
    main()
