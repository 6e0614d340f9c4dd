"""`Producer.send_many` against the broker: records laid into one record batch per partition
land where `send` would put them (a key's partition by murmur2), each key's in the order
given, every record once with its headers; a record above the request size is refused alone."""

from __future__ import annotations

import uuid
from collections import defaultdict

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import MessageSizeTooLargeError

from devstack.stack import Servers
from shared.adapters.kafka import MAX_REQUEST_BYTES, create_producer, started
from shared.adapters.partitioner import partition_for
from shared.core.settings import KafkaSettings

PARTITIONS = 4


async def _new_topic(bootstrap: str) -> str:
    name = f"test.producer-batches.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    return name


async def _read(bootstrap: str, topic: str, count: int) -> list[tuple[int, bytes, bytes, list]]:
    """(partition, key, value, headers) of the topic's first `count` records, by partition."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    found: list[tuple[int, bytes, bytes, list]] = []
    async with started(consumer):
        for _ in range(60):
            if len(found) >= count:
                break
            fetched = await consumer.getmany(timeout_ms=500)
            for partition, records in fetched.items():
                found += [(partition.partition, r.key, r.value, list(r.headers)) for r in records]
    return found


async def test_records_land_on_their_keys_partitions_in_order_once(stack: Servers) -> None:
    topic = await _new_topic(stack.kafka_bootstrap)
    producer = create_producer(KafkaSettings(bootstrap_servers=stack.kafka_bootstrap), "test")
    keys = [str(uuid.uuid4()).encode() for _ in range(40)]
    messages = [
        (f"{n}".encode() * 50, keys[n % len(keys)], [("request-id", f"req-{n}".encode())])
        for n in range(600)
    ]
    oversized = (b"x" * MAX_REQUEST_BYTES, keys[0], None)
    await producer.start()
    try:
        answers = await producer.send_many(topic, [*messages[:300], oversized, *messages[300:]])
    finally:
        await producer.stop()

    assert isinstance(answers[300], MessageSizeTooLargeError)
    assert answers[:300] + answers[301:] == [None] * len(messages)
    landed = await _read(stack.kafka_bootstrap, topic, len(messages))
    assert sorted((key, value) for _, key, value, _ in landed) == sorted(
        (key, value) for value, key, _ in messages
    )
    order: dict[bytes, list[bytes]] = defaultdict(list)
    for partition, key, value, headers in landed:
        assert partition == partition_for(key, range(PARTITIONS), range(PARTITIONS))
        order[key].append(value)
        n = int(value[: len(value) // 50])
        assert headers == [("request-id", f"req-{n}".encode())]
    for key in keys:
        assert order[key] == [value for value, k, _ in messages if k == key]
