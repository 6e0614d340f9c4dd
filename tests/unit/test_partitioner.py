"""Our partitioner puts every key where aiokafka's DefaultPartitioner (and so the Java
client) puts it: the same murmur2, bit for bit, on any bytes."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.partitioner import murmur2, partition_for

# Kafka's own test vectors (UtilsTest.testMurmur2), as the Java client's signed ints.
JAVA = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}

keys = st.one_of(
    st.binary(max_size=300),
    st.uuids().map(lambda u: str(u).encode()),  # what our services key records by
    st.text(max_size=80).map(str.encode),
)


def signed(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def test_the_java_clients_test_vectors() -> None:
    for key, expected in JAVA.items():
        assert signed(murmur2(key)) == expected
        assert signed(aiokafka_murmur2(key)) == expected


@settings(max_examples=3_000)
@given(key=keys)
def test_murmur2_is_aiokafkas_on_any_bytes(key: bytes) -> None:
    assert murmur2(key) == aiokafka_murmur2(key)


@settings(max_examples=1_000)
@given(key=keys, count=st.integers(1, 64), down=st.sets(st.integers(0, 63)))
def test_keyed_records_land_on_the_partition_aiokafka_picks(
    key: bytes, count: int, down: set[int]
) -> None:
    partitions = list(range(count))
    available = [p for p in partitions if p not in down]
    assert partition_for(key, partitions, available) == DefaultPartitioner()(
        key, partitions, available
    )


def test_every_length_up_to_a_few_words() -> None:
    """Every tail length (0-3 bytes past whole words), with every byte value in each place."""
    base = uuid.uuid4().bytes * 2
    for length in range(len(base)):
        for byte in range(256):
            key = bytes([byte]) + base[1:length] if length else b""
            assert murmur2(key) == aiokafka_murmur2(key)
            key = base[: max(length - 1, 0)] + bytes([byte])
            assert murmur2(key) == aiokafka_murmur2(key)


def test_a_record_without_key_goes_to_an_available_partition() -> None:
    for _ in range(50):
        assert partition_for(None, [0, 1, 2, 3], [2, 3]) in {2, 3}
        assert partition_for(None, [0, 1, 2], []) in {0, 1, 2}
