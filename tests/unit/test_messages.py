from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.event_model import parse_event
from shared.messages import (
    CreateEvent,
    IngestEnvelope,
    PoisonMessage,
    decode_ingest,
    derive_event_id,
    encode,
)
from tests.unit.test_event_model import docs_example


def envelope() -> IngestEnvelope:
    return IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id="req_test",
        received_at=datetime.now(UTC),
        owner_id=7,
        api_key_id=uuid.uuid4(),
        idempotency_key="cms-post-123-create",
        request_hash="abc",
        command=CreateEvent(event_id=uuid.uuid4(), event=parse_event(docs_example())),
    )


def test_envelope_round_trips_through_bytes() -> None:
    original = envelope()
    assert decode_ingest(encode(original)) == original


def test_offsets_survive_the_round_trip() -> None:
    decoded = decode_ingest(encode(envelope()))
    assert decoded.command.event.startAt.isoformat() == "2026-06-12T18:00:00-04:00"


@pytest.mark.parametrize(
    "raw", [None, b"", b"not json", b"{}", b'{"schema_version": 99}', b"\xff\xfe"]
)
def test_undecodable_bytes_are_poison(raw: bytes | None) -> None:
    with pytest.raises(PoisonMessage):
        decode_ingest(raw)


def test_unknown_schema_version_is_poison() -> None:
    raw = encode(envelope()).replace(b'"schema_version":1', b'"schema_version":2')
    with pytest.raises(PoisonMessage):
        decode_ingest(raw)


def test_event_id_is_deterministic_per_owner_and_key() -> None:
    assert derive_event_id(1, "k") == derive_event_id(1, "k")
    assert derive_event_id(1, "k") != derive_event_id(2, "k")
    assert derive_event_id(1, "k") != derive_event_id(1, "other")
    assert derive_event_id(1, None) != derive_event_id(1, None)
