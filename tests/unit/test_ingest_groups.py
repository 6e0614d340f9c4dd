"""The batch endpoint's commands in IngestGroups: one partition per group, every command once,
in order, within the size and count bounds; and the publisher reads back what was grouped."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.errors import KafkaTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.adapters.ingest_groups import Encoded, group_commands
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.errors import EventLogUnavailable
from shared.adapters.kafka import Producer
from shared.adapters.partitioner import partition_for
from shared.contracts.messages import (
    IngestEnvelope,
    PoisonMessage,
    decode_ingest_commands,
    encode,
    encode_group,
)
from tests.unit.fake_kafka import FakeKafka
from tests.unit.test_messages import envelope

PARTITIONS = list(range(12))


def _encoded(sizes: list[int]) -> list[Encoded]:
    return [Encoded(b"x" * size, str(uuid.uuid4()).encode()) for size in sizes]


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=3_000), max_size=300),
    max_bytes=st.integers(min_value=100, max_value=20_000),
    max_commands=st.integers(min_value=1, max_value=50),
)
def test_groups_hold_every_command_once_in_order_within_one_partition(
    sizes: list[int], max_bytes: int, max_commands: int
) -> None:
    commands = _encoded(sizes)
    groups = group_commands(commands, PARTITIONS, max_bytes, max_commands)
    assert sorted(p for g in groups for p in g.positions) == list(range(len(commands)))
    for group in groups:
        assert group.positions == sorted(group.positions)
        assert len(group.positions) <= max_commands
        partitions = {
            partition_for(commands[p].key, PARTITIONS, PARTITIONS) for p in group.positions
        }
        assert len(partitions) == 1
        value, key = group.message(commands)
        # The key places the group where each of its commands alone would go.
        assert partition_for(key, PARTITIONS, PARTITIONS) in partitions
        if len(group.positions) > 1:
            assert len(value) <= max_bytes


def test_a_batch_of_500_fills_one_group_per_partition() -> None:
    commands = _encoded([900] * 500)
    groups = group_commands(commands, PARTITIONS)
    assert len(groups) == len(PARTITIONS)


def test_a_command_alone_travels_as_itself() -> None:
    commands = _encoded([10, 400_000])  # the second is too large to share a group
    groups = group_commands(commands, [0])
    assert [g.positions for g in groups] == [[0], [1]]
    assert groups[1].message(commands) == (commands[1].value, commands[1].key)


def test_a_group_decodes_to_its_commands_in_order() -> None:
    sent = [envelope() for _ in range(3)]
    got = decode_ingest_commands(encode_group([encode(e) for e in sent]))
    assert list(got) == sent


def test_a_single_envelope_decodes_as_one_command() -> None:
    one: IngestEnvelope = envelope()
    assert decode_ingest_commands(encode(one)) == (one,)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"{not json",
        b'{"schema_version":1,"commands":[]}',
        b'{"schema_version":1,"commands":[{}]}',
    ],
)
def test_what_is_neither_form_is_poison(raw: bytes | None) -> None:
    with pytest.raises(PoisonMessage):
        decode_ingest_commands(raw)


async def test_a_failed_group_refuses_exactly_its_items() -> None:
    envelopes = [envelope() for _ in range(60)]
    keys = [str(e.command.event_id).encode() for e in envelopes]
    failing = keys[0]  # the first of its partition's group, whose key the group carries
    kafka = FakeKafka(
        refuses=lambda key, value: key == failing, failure=KafkaTimeoutError(), partitions=12
    )
    writer = KafkaWriter(Producer(lambda: kafka), send_timeout_seconds=5)  # type: ignore[arg-type, return-value]
    refusals = await writer.write_commands(envelopes)
    lost = {i for i, refusal in enumerate(refusals) if refusal is not None}
    failing_partition = partition_for(failing, PARTITIONS, PARTITIONS)
    assert lost == {
        i
        for i, k in enumerate(keys)
        if partition_for(k, PARTITIONS, PARTITIONS) == failing_partition
    }
    assert all(isinstance(refusals[i], EventLogUnavailable) for i in lost)
    carried = [e for _, value in kafka.sent for e in decode_ingest_commands(value)]
    assert sorted(carried, key=envelopes.index) == [
        e for i, e in enumerate(envelopes) if i not in lost
    ]


async def test_an_empty_batch_sends_nothing() -> None:
    kafka = FakeKafka()
    writer = KafkaWriter(Producer(lambda: kafka), send_timeout_seconds=5)  # type: ignore[arg-type, return-value]
    assert await writer.write_commands([]) == []
    assert kafka.sent == []
