"""How deep a request and a batch go before they touch Kafka or PostgreSQL, measured on the
real code with fakes at the two ends: a create reaches the Kafka produce at most four calls
from its endpoint, a consumed batch its INSERT at most four calls from the loop that polled
it, and neither passes through a module twice on the way."""

from __future__ import annotations

import inspect
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, cast

from aiokafka import ConsumerRecord

from services.gateway.access.auth import Principal
from services.gateway.access.cache import AccessCache, AccessReader
from services.gateway.adapters.audit import AuditStore
from services.gateway.adapters.channels import ChannelStore
from services.gateway.adapters.claims import InFlight
from services.gateway.adapters.deliveries import DeliveryLog
from services.gateway.adapters.events import EventStore
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.keys import KeyStore
from services.gateway.adapters.operations import OperationStore
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.adapters.portal import PortalStore
from services.gateway.context import Exchange, Gateway, GatewayRequest
from services.gateway.public_api.endpoints import create_event
from services.gateway.settings import GatewaySettings
from services.gateway.submission.batch import BatchSubmitter
from services.gateway.submission.submitter import Submitter
from services.publisher.worker import Publisher
from shared.adapters.kafka import Producer
from shared.adapters.rate_limits import RateLimiter
from shared.contracts.messages import CreateEvent, IngestEnvelope, decode_ingest_commands, encode
from shared.domain.events import parse_event
from shared.runtime.consumer_loop import ConsumerLoop, LoopSettings
from tests.examples import docs_example
from tests.unit.test_consumer_loop import FakeConsumer, record

ROOT = Path(__file__).resolve().parents[2]
OUR_CODE = (str(ROOT / "services"), str(ROOT / "shared"))


def stack_from(entry: str, frames: list[inspect.FrameInfo]) -> list[inspect.FrameInfo]:
    """The frames from the innermost up to (and with) the first named `entry`."""
    names = [f.function for f in frames]
    return frames[: names.index(entry) + 1]


@contextmanager
def modules_entered_once(entry: str) -> Iterator[list[str]]:
    """Records, at every call into our code under `entry`, a module found on the stack twice
    with another module between (the request went back into a module it had left)."""
    revisits: list[str] = []

    def profile(frame: FrameType, event: str, _: object) -> None:
        if event != "call" or not frame.f_code.co_filename.startswith(OUR_CODE):
            return
        files: list[str] = []
        walked: FrameType | None = frame
        while walked is not None:
            name = walked.f_code.co_filename
            if name.startswith(OUR_CODE) and (not files or files[-1] != name):
                files.append(name)
            if walked.f_code.co_name == entry:
                if len(files) != len(set(files)):
                    revisits.append(" <- ".join(Path(f).name for f in files))
                return
            walked = walked.f_back

    sys.setprofile(profile)
    try:
        yield revisits
    finally:
        sys.setprofile(None)


class RecordingKafka:
    """Stands in for aiokafka's producer; remembers the call stack of each produce."""

    def __init__(self) -> None:
        self.stacks: list[list[inspect.FrameInfo]] = []

    async def send_and_wait(self, *_: Any, **__: Any) -> None:
        self.stacks.append(inspect.stack())


class OneChannel:
    """The event store's access reads: channel 42 belongs to account 1."""

    async def can_access_channel(self, owner_id: int, channel_id: int) -> bool:
        return (owner_id, channel_id) == (1, 42)


class NoOutcomes:
    def expecting(self, _: IngestEnvelope) -> Any:
        return nullcontext(None)


def gateway_with(kafka: RecordingKafka) -> Gateway:
    unused: Any = None  # collaborators a create never reaches
    events = cast(EventStore, OneChannel())
    access = AccessReader(events, AccessCache(0))
    writer = KafkaWriter(Producer(lambda: kafka), send_timeout_seconds=5)
    outcomes = cast(OutcomeListener, NoOutcomes())
    operations = OperationStore(unused)
    operations._key = b"k" * 32  # what load_key reads from PostgreSQL at start-up
    return Gateway(
        settings=GatewaySettings(),
        events=events,
        access=access,
        limiter=RateLimiter(unused, 60, 1),
        writer=writer,
        submitter=Submitter(events, access, InFlight(unused, 10), writer, outcomes, 3, operations),
        batch=BatchSubmitter(events, writer, operations, location_base=""),
        keys=KeyStore(unused, access.key_changed),
        integrations=IntegrationStore(unused, access.integration_changed),
        audit=AuditStore(unused),
        channels=ChannelStore(unused),
        operations=operations,
        deliveries=DeliveryLog(unused),
        portal=PortalStore(unused),
        passwords=unused,
        sign_in=unused,
        pool_waits=lambda _: 0.0,
    )


def create_request(gateway: Gateway) -> GatewayRequest:
    body = encode_json(docs_example(42))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/public/v1/events",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"prefer", b"respond-async")],
        "state": {"gateway": gateway, "exchange": Exchange("req-call-depth")},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return GatewayRequest(scope, receive)


def encode_json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


async def test_a_create_reaches_the_kafka_produce_four_calls_from_its_endpoint() -> None:
    kafka = RecordingKafka()
    gateway = gateway_with(kafka)
    principal = Principal(uuid.uuid4(), 1, "pe_test_depth", frozenset({"events:create"}))
    with modules_entered_once("create_event") as revisits:
        response = await create_event(create_request(gateway), gateway, principal)
    assert response.status_code == 202
    (stack,) = kafka.stacks
    path = stack_from("create_event", stack)
    # create_event -> submit -> write_command -> Producer.send_and_wait -> aiokafka
    assert len(path) - 1 <= 4, [f.function for f in path]
    assert revisits == []


class FakeConnection:
    """Answers the publisher's statements as an empty database would; remembers the call
    stack of each INSERT INTO events."""

    def __init__(self) -> None:
        self.inserts: list[list[inspect.FrameInfo]] = []
        self.staged: list[tuple[Any, ...]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        yield

    async def copy_records_to_table(self, table: str, records: Iterable[tuple[Any, ...]]) -> None:
        self.staged = list(records)

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        # A small group comes as arrays after the time decided, a large one copied first;
        # either way event_id is the 4th column.
        event_ids = args[4] if "unnest(" in sql else [row[3] for row in self.staged]
        if "INSERT INTO events" in sql:  # every key claimed, every event stored
            self.inserts.append(inspect.stack())
            return [{"claimed_event_id": event_id, "change": "created", "id": event_id}
                    for event_id in event_ids]  # fmt: skip
        return [{"event_id": event_id} for event_id in event_ids]

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return args[3]  # the key is claimed: a new command

    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any]:
        self.inserts.append(inspect.stack())
        return {"id": args[0]}

    async def execute(self, sql: str, *args: Any) -> None:
        return None


class FakePool:
    def __init__(self) -> None:
        self.connection = FakeConnection()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeConnection]:
        yield self.connection


def ingest(offset: int, event_id: uuid.UUID | None = None) -> ConsumerRecord:
    event = parse_event(docs_example(42))
    envelope = IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id=f"req-{offset}",
        received_at=datetime.now(UTC),
        owner_id=1,
        idempotency_key=f"key-{offset}",
        request_hash="hash",
        command=CreateEvent(event_id=event_id or uuid.uuid4(), event=event),
        awaited_until=None,
    )
    return record(offset, encode(envelope))


async def test_a_batch_reaches_its_insert_four_calls_from_the_poll() -> None:
    pool = FakePool()
    producer = Producer(lambda: RecordingKafka())
    publisher = Publisher(
        cast(Any, pool), producer, send_timeout_seconds=5, committed=lambda: None, max_commands=500
    )
    # Two new events take the set-based path; two creates of one event go one by one.
    twice = uuid.uuid4()
    consumer = FakeConsumer([[ingest(0), ingest(1)], [ingest(2, twice), ingest(3, twice)]])
    settings = LoopSettings(group="depth")
    decode = lambda r: decode_ingest_commands(r.value)  # noqa: E731
    loop = ConsumerLoop(cast(Any, consumer), producer, decode, publisher.apply, settings)
    consumer.loop = loop
    with modules_entered_once("run") as revisits:
        await loop.run()
    assert len(pool.connection.inserts) == 3
    for stack in pool.connection.inserts:
        path = stack_from("run", stack)
        # run -> _retrying -> Publisher.apply -> create_all_or_none -> INSERT, or
        # run -> _retrying -> Publisher.apply -> apply_batch -> create_all | _create -> INSERT
        assert len(path) - 2 <= 4, [f.function for f in path]
    assert revisits == []
