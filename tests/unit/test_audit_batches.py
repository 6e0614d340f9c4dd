"""Audit records travel in batches: one Kafka message per few milliseconds of a gateway's
requests, every held record sent at shutdown, and the auditor reads both the batch and the
single record that gateways before batching wrote."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.gateway.adapters.kafka_writer import KafkaWriter
from shared.adapters.kafka import Producer
from shared.contracts.messages import (
    AuditBatch,
    AuditRecord,
    PoisonMessage,
    decode_audit,
    encode,
)
from shared.contracts.topics import Topic


def record(n: int = 0) -> AuditRecord:
    return AuditRecord(
        record_id=uuid.uuid4(),
        request_id=f"req_{n:08d}",
        occurred_at=datetime.now(UTC),
        method="POST",
        route="/api/public/v1/events",
        path="/api/public/v1/events",
        status=202,
        duration_seconds=0.004,
        client_ip="127.0.0.1",
    )


class RecordingKafka:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send_and_wait(self, topic: str, value: bytes, **_: Any) -> None:
        self.sent.append((topic, value))


def writer_on(kafka: RecordingKafka, linger: float = 60, max_records: int = 200) -> KafkaWriter:
    return KafkaWriter(
        Producer(lambda: kafka),  # type: ignore[arg-type, return-value]
        send_timeout_seconds=5,
        audit_linger_seconds=linger,
        audit_max_records=max_records,
    )


def batches(kafka: RecordingKafka) -> list[list[str]]:
    assert all(topic == Topic.AUDIT for topic, _ in kafka.sent)
    return [[r.request_id for r in decode_audit(value)] for _, value in kafka.sent]


async def test_records_of_one_linger_travel_as_one_message() -> None:
    kafka = RecordingKafka()
    writer = writer_on(kafka, linger=0.01)
    for n in range(3):
        writer.write_audit(record(n))
    assert kafka.sent == []
    await asyncio.sleep(0.05)
    writer.write_audit(record(3))
    await writer.drain()
    assert batches(kafka) == [["req_00000000", "req_00000001", "req_00000002"], ["req_00000003"]]


async def test_a_full_batch_goes_at_once() -> None:
    kafka = RecordingKafka()
    writer = writer_on(kafka, max_records=2)
    for n in range(5):
        writer.write_audit(record(n))
    await asyncio.sleep(0)
    assert batches(kafka) == [["req_00000000", "req_00000001"], ["req_00000002", "req_00000003"]]
    await writer.drain()  # the fifth, and no timer left behind for later tests
    assert batches(kafka)[2:] == [["req_00000004"]]


async def test_drain_sends_what_is_held() -> None:
    """At shutdown nothing waits for the linger: the held records go before the producer stops."""
    kafka = RecordingKafka()
    writer = writer_on(kafka, linger=3600)
    writer.write_audit(record(1))
    await writer.drain()
    assert batches(kafka) == [["req_00000001"]]


def test_the_auditor_reads_a_batch_and_the_single_record_of_older_gateways() -> None:
    old, new = record(1), (record(2), record(3))
    assert decode_audit(encode(old)) == (old,)
    assert decode_audit(encode(AuditBatch(records=new))) == new


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"{}",
        b'{"schema_version":1,"records":[{}]}',
        b'{"schema_version":2,"records":[]}',
    ],
)
def test_undecodable_audit_messages_are_poison(raw: bytes | None) -> None:
    with pytest.raises(PoisonMessage):
        decode_audit(raw)
