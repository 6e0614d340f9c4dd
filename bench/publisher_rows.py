"""`python -m bench.publisher_rows`: the publisher's CPU per row, in process, path by path.

The publisher's two per-row paths, measured apart from the Kafka consumer and from each other
against a stack of its own (profile `bench`, PINNED_PORT_OFFSET applies) or the servers that
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL name:

- **decode + apply**: `--rows` create commands built as the backlog scenario builds them (the
  bench event, or `--shape rich` with every optional field; `--source` says whether each names
  a source record, and whether that record was stored before), encoded, then per batch of
  `--batch`: decoded (`decode_ingest_commands`) and applied by `Publisher.apply` (one transaction,
  outcomes recorded, the batch's log lines). Decoding alone is also timed;
- **relay**: the outbox those creates left, sent to `pinned.event-changes.v1` by
  `ChangeRelay.relay_once` in batches of `--batch`, refilled between variants from a copy, so
  every variant sends the same rows. Variants: `records` (the relay as it is), `transaction`
  (its cycle as the five round trips it took before 2026-12-02, 22:45 UTC), `models`
  (the models' encoding it replaced: `change_from_outbox` + `encode_change`) and `sends`
  (each record given to aiokafka's `send` alone, as `send_many` did before it built one
  record batch per partition).

CPU is `time.process_time()` of this process around each batch, the median batch reported
(the first of each variant is dropped: caches warming); PostgreSQL's CPU (its process tree,
from /proc) per row over the same batches beside it. Variants alternate, `--rounds` times.
Service log lines go to `--log-file`. Figures are written to `results/publisher-rows-*.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from bench.load import event_body
from bench.procstats import tree_usage
from devstack.stack import BENCH, Servers, servers
from services.publisher.relay import RELAY_LOCK_ID, ChangeRelay
from services.publisher.worker import Publisher
from shared.adapters.kafka import Producer, create_producer
from shared.adapters.postgres import create_pool
from shared.contracts.changes import change_from_outbox, change_record, encode_change
from shared.contracts.messages import (
    CreateEvent,
    IngestEnvelope,
    decode_ingest_commands,
    derive_event_id,
    encode,
)
from shared.contracts.topics import Topic
from shared.core.heap import freeze_startup_objects
from shared.core.logging import configure_logging
from shared.core.settings import DatabaseSettings, KafkaSettings, LogSettings
from shared.domain.events import EventInput, parse_event
from shared.runtime.consumer_loop import Decoded

ROOT = Path(__file__).resolve().parent.parent
RICH = {
    "endAt": "2026-06-12T21:00:00-04:00",
    "description": "Doors at 7pm. **Bring** a friend: [tickets](https://tickets.example.com/e/42)",
    "venue": {"name": "Pier 17", "address": "89 South St, New York, NY 10038",
              "coordinates": {"lat": 40.7057, "lng": -74.0014}},
    "images": [{"url": "https://cdn.example.com/launch.jpg", "alt": "Stage with a big screen"}],
    "ticketLinks": [{"url": "https://tickets.example.com/e/42", "label": "Buy tickets"}],
    "price": {"min": 0, "max": 25.5, "currency": "USD"},
    "capacity": 300,
    "sourceId": "cms-42",
    "sourceUpdatedAt": "2026-06-01T10:00:00Z",
}  # fmt: skip


class ModelsRelay(ChangeRelay):
    """The relay as it was: each row validated into an EventChange, then encoded."""

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        changes = [change_from_outbox(row) for row in rows]
        records = [(encode_change(c), str(c.event_id).encode(), None) for c in changes]
        errors = await asyncio.wait_for(
            self._producer.send_many(Topic.EVENT_CHANGES, records), self._send_timeout
        )
        assert not any(errors), errors


class TransactionRelay(ChangeRelay):
    """The relay's cycle as five round trips (BEGIN, the lock, the select, the delete,
    COMMIT), before the lock came with BEGIN and the delete with COMMIT."""

    async def relay_once(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", RELAY_LOCK_ID)
            rows = await conn.fetch("SELECT * FROM event_changes ORDER BY seq LIMIT $1",
                                    self._batch_size)  # fmt: skip
            if rows:
                await self._send(rows)
                await conn.execute("DELETE FROM event_changes WHERE seq = ANY($1::bigint[])",
                                   [row["seq"] for row in rows])  # fmt: skip
        return len(rows)


class SendsRelay(ChangeRelay):
    """The relay with each record handed to aiokafka's `send` on its own (`send_many` before
    it laid records into one batch per partition)."""

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        kafka = self._producer._current
        deliveries = [
            await kafka.send(
                Topic.EVENT_CHANGES, change_record(row), key=str(row["event_id"]).encode()
            )
            for row in rows
        ]
        errors = await asyncio.wait_for(
            asyncio.gather(*deliveries, return_exceptions=True), self._send_timeout
        )
        assert not any(isinstance(e, BaseException) for e in errors), errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.publisher_rows")
    parser.add_argument("--rows", type=int, default=30_000, help="create commands per round")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shape", choices=("plain", "rich"), default="plain")
    parser.add_argument(
        "--source", choices=("none", "new", "again"), default="none",
        help="whether each create names a source record (its sourceId): none does; each a new "
        "one (a CMS's first publish); each one stored before the round (a CMS's resend on an "
        "edit, a later sourceUpdatedAt)",
    )  # fmt: skip
    parser.add_argument("--relay", default="records,sends", help="relay variants, in turn")
    parser.add_argument("--log-file", type=Path, default=Path("/dev/null"))
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    return parser.parse_args()


def commands(
    account_id: int,
    channel_id: int,
    count: int,
    shape: str,
    records: str | None = None,
    updated_at: datetime | None = None,
) -> list[bytes]:
    """Encoded create envelopes, as the backlog scenario (and a respond-async gateway) writes
    them; each call's keys are new. `records`: each create names source record
    `{records}-{i}` (the event id derived from it, as the gateway derives it), last updated
    `updated_at`; else none does."""
    body = {**event_body(channel_id, 0), **(RICH if shape == "rich" else {})}
    event = parse_event({**body, "sourceId": None, "sourceUpdatedAt": None})
    run = uuid.uuid4().hex[:8]
    return [
        _command(account_id, event, f"rows-{run}-{i}", i,
                 {"sourceId": f"{records}-{i}", "sourceUpdatedAt": updated_at} if records else {})
        for i in range(count)
    ]  # fmt: skip


def _command(
    account_id: int, event: EventInput, key: str, index: int, source: dict[str, Any]
) -> bytes:
    created = event.model_copy(update={"title": f"Bench event {index}", **source})
    event_id = derive_event_id(account_id, key, created.channelId, created.sourceId)
    envelope = IngestEnvelope(
        message_id=uuid.uuid4(), request_id=f"bench-rows-{index}",
        received_at=datetime.now(UTC), owner_id=account_id, idempotency_key=key,
        request_hash="bench", command=CreateEvent(event_id=event_id, event=created),
        awaited_until=None,
    )  # fmt: skip
    return encode(envelope)


# A record's times: stored before a round (`--source again`), then as the round sends it.
_EARLIER = datetime(2026, 6, 1, 10, tzinfo=UTC)
_LATER = datetime(2026, 6, 2, 10, tzinfo=UTC)


def per_row(samples: list[float], rows: int) -> float:
    """Median batch, first dropped, in ms per row."""
    kept = samples[1:] or samples
    return statistics.median(kept) * 1000 / rows


class Meter:
    """CPU of this process (per batch) and of PostgreSQL's process tree (summed)."""

    def __init__(self, postgres_pid: int | None) -> None:
        self.postgres_pid = postgres_pid

    def postgres_cpu(self) -> float:
        return tree_usage(self.postgres_pid).cpu_seconds if self.postgres_pid else 0.0


async def decode_and_apply(
    publisher: Publisher, raw: list[bytes], batch: int, decode: Callable[[bytes | None], Any]
) -> tuple[list[float], list[float]]:
    """CPU seconds per batch: decoding alone, and decoding plus applying."""
    decoding: list[float] = []
    whole: list[float] = []
    for start in range(0, len(raw), batch):
        chunk = raw[start : start + batch]
        # Grouped by partition, as a fetch (`getmany`) hands them over: the publisher logs a
        # line per run of one partition's commands.
        records = [
            _record(start + i, value, partition=i * _PARTITIONS // len(chunk))
            for i, value in enumerate(chunk)
        ]
        began = time.process_time()
        decoded = [Decoded(r, decode(r.value)) for r in records]
        decoding.append(time.process_time() - began)
        await publisher.apply(decoded)
        whole.append(time.process_time() - began)
    return decoding, whole


_PARTITIONS = 12  # the ingest topic's


def _record(offset: int, value: bytes, partition: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=Topic.INGEST, partition=partition, offset=offset, timestamp=0,
        timestamp_type=0, key=None, value=value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(value), headers=(),
    )  # fmt: skip


async def relay_all(relay: ChangeRelay) -> tuple[list[float], int]:
    samples: list[float] = []
    rows = 0
    while True:
        began = time.process_time()
        sent = await relay.relay_once()
        if sent == 0:
            return samples, rows
        samples.append(time.process_time() - began)
        rows += sent


async def measure(args: argparse.Namespace, started: Servers, postgres_pid: int | None) -> Any:
    pool = await create_pool(DatabaseSettings(url=started.database_url))
    kafka = KafkaSettings(bootstrap_servers=started.kafka_bootstrap)
    producer: Producer = create_producer(kafka, "bench-publisher-rows")
    await producer.start()
    meter = Meter(postgres_pid)
    account = await pool.fetchval("INSERT INTO accounts (name) VALUES ('rows') RETURNING id")
    channel = await pool.fetchval(
        "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'rows') RETURNING id", account
    )
    await pool.execute("DELETE FROM event_changes")  # what earlier runs on this stack left
    publisher = Publisher(pool, producer, 5.0, committed=lambda: None, max_commands=args.batch)
    freeze_startup_objects()  # as the publisher does once started
    results: dict[str, Any] = {"decode": [], "apply": [], "relay": []}
    relays = {
        "records": ChangeRelay, "transaction": TransactionRelay, "models": ModelsRelay,
        "sends": SendsRelay,
    }  # fmt: skip
    try:
        for round_ in range(1, args.rounds + 1):
            records = None if args.source == "none" else f"record-{uuid.uuid4().hex[:8]}"
            if args.source == "again":  # the records stored before the round, not measured
                stored = commands(account, channel, args.rows, args.shape, records, _EARLIER)
                await decode_and_apply(publisher, stored, args.batch, decode_ingest_commands)
            raw = commands(account, channel, args.rows, args.shape, records, _LATER)
            pg_before = meter.postgres_cpu()
            decoding, whole = await decode_and_apply(
                publisher, raw, args.batch, decode_ingest_commands
            )
            pg = (meter.postgres_cpu() - pg_before) * 1000 / args.rows
            results["decode"].append(per_row(decoding, args.batch))
            results["apply"].append({"ms_per_row": per_row(whole, args.batch), "postgres": pg})
            print(f"round {round_}: decode {results['decode'][-1]:.4f} ms/row, decode+apply "
                  f"{per_row(whole, args.batch):.4f} (PostgreSQL {pg:.4f})", file=sys.__stdout__,
                  flush=True)  # fmt: skip
            await pool.execute("DROP TABLE IF EXISTS bench_outbox_copy")
            await pool.execute("CREATE TABLE bench_outbox_copy AS SELECT * FROM event_changes")
            await pool.execute("DELETE FROM event_changes")
            for name in args.relay.split(","):
                await pool.execute(
                    "INSERT INTO event_changes OVERRIDING SYSTEM VALUE"
                    " SELECT * FROM bench_outbox_copy"
                )
                relay = relays[name](pool, producer, args.batch)
                pg_before = meter.postgres_cpu()
                samples, rows = await relay_all(relay)
                pg = (meter.postgres_cpu() - pg_before) * 1000 / max(rows, 1)
                figure = per_row(samples, args.batch)
                results["relay"].append({"variant": name, "round": round_, "rows": rows,
                                         "ms_per_row": figure, "postgres": pg})  # fmt: skip
                print(f"round {round_}: relay {name} {figure:.4f} ms/row over {rows} rows "
                      f"(PostgreSQL {pg:.4f})", file=sys.__stdout__, flush=True)  # fmt: skip
    finally:
        await producer.stop()
        await pool.close()
    return results


def main() -> int:
    args = parse_args()
    with servers(BENCH) as started:
        postgres = started.processes.get("postgres")
        log_file = args.log_file.open("w")
        sys.stdout = log_file  # the service's log lines, as the publisher writes them
        try:
            configure_logging("publisher", LogSettings())
            results = asyncio.run(measure(args, started, postgres.pid if postgres else None))
        finally:
            sys.stdout = sys.__stdout__
            log_file.close()
    record = {
        "at": datetime.now(UTC).isoformat(), "args": {k: str(v) for k, v in vars(args).items()},
        "load_average": os.getloadavg(), "results": results,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"publisher-rows-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
