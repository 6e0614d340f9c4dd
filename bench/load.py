"""Open-model load generator, run as its own process: request i is sent at t0 + i/rate
whether or not earlier ones have returned, and latency is measured from that scheduled
time, so a slow server cannot hide its queueing (no coordinated omission).

It speaks HTTP/1.1 over a pool of keep-alive connections with pre-built request bytes:
a general-purpose client (httpx) cost most of a core here, which on a 2-core box distorts
the very thing being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONNECTIONS = 64
# The API and webhook scenarios open what the offered rate needs, as an open-model client
# such as vegeta does: with 64 the client queued past 64 in flight, and a queue inside the
# gateway (the database pool's) stayed hidden behind it.
API_CONNECTIONS = 1024
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


class Connection:
    """One kept-alive HTTP/1.1 connection of the load generator, opened at its first use.

    A connection the server closed while it sat idle (past the server's keep-alive timeout:
    the generator reuses the most recently freed connection, so those deep in its stack can
    idle for minutes) is replaced before the request is written. When the close crosses the
    request (nothing of an answer read), the request goes once more on a new connection, as Go's
    HTTP transport does for a request carrying an `Idempotency-Key`: the server answered
    nothing, and sending again cannot store twice (the API's key; a webhook record's id).
    `retries` counts those, so a report can tell them from the server's own failures."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """(status, body, whether the answer carried Retry-After)."""
        reused = self.reader is not None and not self.reader.at_eof()
        if not reused:
            await self._reopen()
        try:
            return await self._exchange(request)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError) as exc:
            answered = isinstance(exc, asyncio.IncompleteReadError) and exc.partial
            if not reused or answered:
                raise
        self.retries += 1
        await self._reopen()
        return await self._exchange(request)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _reopen(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def _exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        assert self.reader is not None
        assert self.writer is not None
        try:
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, retry_after = 0, False
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                retry_after = retry_after or line[:12].lower() == b"retry-after:"
            return status, await self.reader.readexactly(length), retry_after
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.writer.close()
            self.reader = self.writer = None
            raise


def request_bytes(host: str, key: str, body: bytes, idempotency_key: str) -> bytes:
    return (
        f"POST /api/public/v1/events HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Prefer: respond-async\r\nIdempotency-Key: {idempotency_key}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def webhook_bytes(host: str, path: str, token: str, body: bytes) -> bytes:
    """A generic-JSON sender's delivery (a CRM or form tool with a static token)."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"X-Webhook-Token: {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def webhook_record(channel_id: int, index: int, run_id: str) -> dict[str, Any]:
    event = event_body(channel_id, index)
    del event["channelId"]  # the integration decides the channel
    return {"action": "create", "id": f"{run_id}-{index}",
            "updatedAt": "2026-05-01T10:00:00Z", **event}  # fmt: skip


def schedule(phases: list[tuple[float, float]]) -> list[float]:
    """Send times, in seconds from the start, of phases of (rate, seconds) run one after the
    other at their constant rates."""
    times: list[float] = []
    began = 0.0
    for rate, seconds in phases:
        times.extend(began + i / rate for i in range(int(rate * seconds)))
        began += seconds
    return times


def parse_phases(text: str) -> list[tuple[float, float]]:
    """ "250:5,1000:60,250:10": 250/s for 5 s, then 1,000/s for 60 s, then 250/s for 10 s."""
    pairs = (part.split(":") for part in text.split(",") if part)
    return [(float(rate), float(seconds)) for rate, seconds in pairs]


async def run(url: str, key: str, channel_id: int, phases: list[tuple[float, float]],
              run_id: str, webhook: str | None = None, connections: int = API_CONNECTIONS,
              ) -> list[dict[str, Any]]:  # fmt: skip
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    idle = idle_connections(host, port, connections)
    samples: list[dict[str, Any]] = []
    start_wall, start = time.time(), time.perf_counter()

    async def send(index: int, scheduled: float) -> None:
        # How late this process itself started the request: its own share of the latency
        # (a starved generator would otherwise be read as a slow server).
        client_lag = time.perf_counter() - scheduled
        if webhook is None:
            body = json.dumps(event_body(channel_id, index)).encode()
            request = request_bytes(f"{host}:{port}", key, body, f"{run_id}-{index}")
        else:
            body = json.dumps(webhook_record(channel_id, index, run_id)).encode()
            request = webhook_bytes(f"{host}:{port}", webhook, key, body)
        sample: dict[str, Any] = {
            "sent_at": start_wall + (scheduled - start),
            "offset": scheduled - start,
            "client_lag": client_lag,
        }
        connection = await idle.get()
        # Every connection busy: the request waits here, as it would for a client with this
        # many connections (--connections).
        sample["connection_wait"] = time.perf_counter() - scheduled - client_lag
        retries = connection.retries
        try:
            status, payload, retry_after = await connection.exchange(request)
            sample["status"], sample["retry_after"] = status, retry_after
            if status < 300:
                answer = json.loads(payload)
                sample["event_id"] = answer["eventId"] if webhook else answer["id"]
            elif status >= 400:
                sample["code"] = json.loads(payload).get("error", {}).get("code")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            sample["status"], sample["error"] = 0, type(exc).__name__
        finally:
            sample["retried"] = connection.retries > retries
            idle.put_nowait(connection)
        sample["latency"] = time.perf_counter() - scheduled
        samples.append(sample)

    await open_model(schedule(phases), send, samples, start)
    return samples


async def open_model(
    offsets: list[float],
    send: Callable[[int, float], Coroutine[Any, Any, None]],
    samples: list[dict[str, Any]],
    start: float,
) -> None:
    """Call send(i, scheduled) at start + offsets[i], whatever the earlier ones are doing;
    past MAX_IN_FLIGHT a request is counted as the client's own overload instead of waiting
    (which would hide the server's queueing)."""
    in_flight: set[asyncio.Task[None]] = set()
    for index, offset in enumerate(offsets):
        scheduled = start + offset
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= MAX_IN_FLIGHT:
            samples.append({"status": -1, "latency": 0.0, "error": "client_overloaded",
                            "offset": offset})  # fmt: skip
            continue
        task = asyncio.create_task(send(index, scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)


def idle_connections(host: str, port: int, count: int) -> asyncio.Queue[Connection]:
    """Up to `count` connections, opened on first use. The most recently freed is taken
    first, as Go's HTTP client (vegeta's) and browsers do, so a new connection is opened only
    when every open one is busy. Taken in turn, every request of a run's first `count`
    opened one: at a burst's onset the gateway accepted hundreds of connections a second,
    and the requests on them waited up to 2.2 s while those on open connections took 90 ms."""
    idle: asyncio.Queue[Connection] = asyncio.LifoQueue()
    for _ in range(count):
        idle.put_nowait(Connection(host, port))
    return idle


def main() -> None:
    # Up to --connections sockets (2,048 in the overload scenario): past a 1,024 soft limit
    # they would fail as OSErrors and read as the server's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--channel", type=int, required=True)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--seconds", type=float)
    parser.add_argument(
        "--phases", type=parse_phases, help="rate:seconds,...: constant rates one after another"
    )
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--webhook", help="a generic integration's webhook path; --key is its token"
    )
    args = parser.parse_args()
    phases = args.phases or [(args.rate, args.seconds)]
    samples = asyncio.run(
        run(args.url, args.key, args.channel, phases, args.run_id, args.webhook, args.connections)
    )
    args.out.write_text(json.dumps(samples))


if __name__ == "__main__":
    main()
