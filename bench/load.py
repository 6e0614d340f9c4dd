"""Open-model load generator, run as its own process: request i is sent at t0 + i/rate
whether or not earlier ones have returned, and latency is measured from that scheduled
time, so a slow server cannot hide its queueing (no coordinated omission)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

MAX_IN_FLIGHT = 4096


def event_body(channel_id: int, index: int) -> dict[str, Any]:
    return {
        "channelId": channel_id,
        "title": f"Bench event {index}",
        "startAt": "2026-06-12T18:00:00-04:00",
        "timezone": "America/New_York",
        "classifications": ["music"],
        "approxLocation": {
            "city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}
        },
    }


async def run(
    url: str, key: str, channel_id: int, rate: float, seconds: float, run_id: str
) -> list[dict[str, Any]]:
    total = int(rate * seconds)
    samples: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async"}
        in_flight: set[asyncio.Task[None]] = set()
        start_wall, start = time.time(), time.perf_counter()

        async def send(index: int, scheduled: float) -> None:
            sample: dict[str, Any] = {"sent_at": start_wall + (scheduled - start)}
            try:
                response = await client.post(
                    "/api/public/v1/events",
                    json=event_body(channel_id, index),
                    headers={**headers, "Idempotency-Key": f"{run_id}-{index}"},
                )
                sample["status"] = response.status_code
                if response.status_code < 300:
                    sample["event_id"] = response.json()["id"]
            except httpx.HTTPError as exc:
                sample["status"] = 0
                sample["error"] = type(exc).__name__
            sample["latency"] = time.perf_counter() - scheduled
            samples.append(sample)

        for index in range(total):
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
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--channel", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    samples = asyncio.run(
        run(args.url, args.key, args.channel, args.rate, args.seconds, args.run_id)
    )
    args.out.write_text(json.dumps(samples))


if __name__ == "__main__":
    main()
