"""`pinned dlq`: list dead letters with their origin; replay a fixed one, exactly once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from devstack.stack import Servers, ServiceProcess
from shared.adapters import dead_letters
from shared.contracts.messages import CreateEvent, IngestEnvelope, encode
from shared.contracts.topics import Topic
from shared.core.settings import KafkaSettings
from shared.domain.events import parse_event
from tests.integration.conftest import Tenant, eventually, rows_of, sample, scrape
from tests.integration.test_key_cli import pinned as run_cli


def pinned(stack: Servers, *args: str) -> Any:
    result = run_cli(stack, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def dead_letter(stack: Servers, tenant: Tenant, reason: str = "bug fixed in 1.2") -> str:
    """A command an older consumer version dead-lettered (the current one can apply it), put
    in the dead-letter topic with its origin headers; its request id."""
    request_id = f"req_{uuid.uuid4().hex}"
    envelope = IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id=request_id,
        received_at=datetime.now(UTC),
        owner_id=tenant.account_id,
        idempotency_key=f"dlq-{uuid.uuid4()}",
        request_hash="h",
        command=CreateEvent(event_id=uuid.uuid4(), event=parse_event(tenant.event())),
    )
    headers = [
        ("request-id", request_id.encode()),
        ("dlq-origin-topic", Topic.INGEST.encode()),
        ("dlq-origin-partition", b"0"),
        ("dlq-origin-offset", b"0"),
        ("dlq-consumer-group", b"pinned-publisher"),
        ("dlq-reason", reason.encode()),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            Topic.DEAD_LETTER,
            encode(envelope),
            key=str(envelope.command.event_id).encode(),
            headers=headers,
        )
    finally:
        await producer.stop()
    return request_id


async def test_replaying_a_fixed_dead_letter_applies_it_exactly_once(
    stack: Servers, services: dict[str, ServiceProcess], tenant: Tenant, db: asyncpg.Pool
) -> None:
    request_id = await dead_letter(stack, tenant)
    letters = pinned(stack, "dlq", "list")
    mine = next(d for d in letters if d["request_id"] == request_id)
    assert (mine["origin_topic"], mine["reason"]) == (Topic.INGEST, "bug fixed in 1.2")
    shown = pinned(stack, "dlq", "show", mine["id"])
    assert shown["headers"]["dlq-reason"] == "bug fixed in 1.2"
    assert shown["payload"]["request_id"] == request_id

    assert mine["replayed_at"] is None
    assert pinned(stack, "dlq", "replay", "--id", mine["id"]) == {"replayed": 1, "leftOut": 0}
    await eventually(lambda: rows_of(db, tenant))
    listed = next(d for d in pinned(stack, "dlq", "list") if d["id"] == mine["id"])
    assert listed["replayed_by"].startswith("cli:")
    assert listed["replayed_at"] is not None
    text = run_cli(stack, "dlq", "list", for_people=True).stdout
    assert f"[replayed {listed['replayed_at'][:10]}" in text
    duplicates_before = await duplicates(services)
    assert pinned(stack, "dlq", "replay", "--id", mine["id"]) == {"replayed": 1, "leftOut": 0}

    async def second_replay_applied() -> bool:
        return await duplicates(services) > duplicates_before

    await eventually(second_replay_applied)

    assert await rows_of(db, tenant) == 1


async def duplicates(services: dict[str, ServiceProcess]) -> float:
    text = await scrape(services["publisher"])
    return sample(text, "pinned_publisher_commands_total", outcome="duplicate")


async def test_replaying_all_leaves_out_what_was_replayed(
    stack: Servers, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """What `pinned dlq replay --all` picks (and the portal shows), on the real topic and
    table; the CLI's --all itself would replay the other tests' letters too."""
    ids = [await dead_letter(stack, tenant, reason=f"letter {n}") for n in range(2)]
    settings = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap)
    mine = [d for d in await dead_letters.read_all(settings) if d.request_id in ids]
    assert len(mine) == 2
    await dead_letters.mark_replayed(db, mine[:1], "cli:ops")
    marked = await dead_letters.with_replays(db, mine)
    assert [d.replayed_by for d in marked] == ["cli:ops", None]
    assert dead_letters.not_replayed(marked) == [marked[1]]
    await dead_letters.mark_replayed(db, mine[:1], "portal:ops@example.com")
    replays = await db.fetchval(
        'SELECT replays FROM dead_letter_replays WHERE partition = $1 AND "offset" = $2',
        mine[0].partition, mine[0].offset,
    )  # fmt: skip
    assert replays == 2
