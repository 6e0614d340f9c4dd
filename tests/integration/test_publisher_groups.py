"""The publisher applies a fetch's commands, grouped or not, in transactions of at most its
`max_commands`, each command once, also when the fetch is replayed."""

from __future__ import annotations

import contextlib

import asyncpg
from aiokafka import ConsumerRecord

from devstack.stack import Servers
from services.publisher.worker import Publisher
from shared.contracts.messages import (
    CreateEvent,
    decode_ingest_commands,
    derive_event_id,
    encode,
    encode_group,
)
from shared.contracts.topics import Topic
from shared.core.settings import DatabaseSettings, KafkaSettings
from shared.domain.events import parse_event
from shared.runtime.clients import open_pool_and_producer
from shared.runtime.consumer_loop import Decoded
from tests.integration.conftest import Tenant, rows_of
from tests.integration.publisher_support import through_kafka


def _record(offset: int, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=Topic.INGEST, partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=None, value=value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(value), headers=(),
    )  # fmt: skip


def _create(tenant: Tenant, title: str) -> bytes:
    event = parse_event(tenant.event(title=title))
    command = CreateEvent(event_id=derive_event_id(tenant.account_id, title), event=event)
    return encode(through_kafka(tenant, command))


async def test_a_group_is_applied_in_bounded_transactions_once(
    stack: Servers, db: asyncpg.Pool, tenant: Tenant
) -> None:
    grouped = [_create(tenant, f"Grouped {i}") for i in range(7)]
    records = [_record(0, encode_group(grouped)), _record(1, _create(tenant, "Alone"))]
    fetch = [Decoded(r, decode_ingest_commands(r.value)) for r in records]
    transactions: list[None] = []
    async with contextlib.AsyncExitStack() as clients:
        pool, producer = await open_pool_and_producer(  # the publisher's own clients
            clients, DatabaseSettings(url=stack.database_url),
            KafkaSettings(bootstrap_servers=stack.kafka_bootstrap), "test-groups", {},
        )  # fmt: skip
        committed = lambda: transactions.append(None)  # noqa: E731
        publisher = Publisher(pool, producer, 5, committed, max_commands=3)
        await publisher.apply(fetch)
        assert (await rows_of(db, tenant), len(transactions)) == (8, 3)
        await publisher.apply(fetch)  # the fetch replayed, as after a crash before the offsets
    assert await rows_of(db, tenant) == 8
    outcomes = await db.fetch(
        "SELECT status FROM command_outcomes WHERE owner_account_id = $1", tenant.account_id
    )
    assert [r["status"] for r in outcomes] == ["created"] * 8
