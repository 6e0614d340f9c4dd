from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.submission.batch_model import parse_item
from shared.contracts.messages import (
    ChangeStatus,
    CreateEvent,
    FieldProblem,
    IngestEnvelope,
    Outcome,
    PoisonMessage,
    decode_ingest,
    decode_outcome,
    derive_event_id,
    encode,
)
from shared.contracts.webhook_commands import delivery_envelope
from shared.domain.events import parse_event
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


def test_an_envelope_from_before_awaited_until_is_still_announced() -> None:
    older = encode(envelope()).replace(b',"awaited_until":"9999-12-30T23:59:59.999999Z"', b"")
    assert b"awaited_until" not in older
    assert decode_ingest(older).awaited(datetime.now(UTC))


def test_an_outcome_is_awaited_until_the_deadline_and_a_second_of_grace() -> None:
    now = datetime.now(UTC)
    sent = envelope().model_copy(update={"awaited_until": now})
    assert sent.awaited(now + timedelta(seconds=0.9))
    assert not sent.awaited(now + timedelta(seconds=1.1))
    assert not envelope().model_copy(update={"awaited_until": None}).awaited(now)


@pytest.mark.parametrize(("awaited", "carries_event"), [(True, True), (False, False)])
def test_an_outcome_carries_the_event_only_for_a_waiting_gateway(
    awaited: bool, carries_event: bool
) -> None:
    from services.publisher.rows import make_outcome
    from shared.contracts.messages import decode_outcome

    until = datetime.now(UTC) + timedelta(seconds=3) if awaited else None
    sent = envelope().model_copy(update={"awaited_until": until})
    row = {"id": sent.command.event_id, "owner_account_id": 7, "channel_id": 1,
           "status": "published", "body": {"title": "Jazz"}, "version": 1,
           "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)}  # fmt: skip
    outcome = decode_outcome(encode(make_outcome(sent, "created", row=row).message()))
    assert (outcome.event is not None) is carries_event
    assert (outcome.message_id, outcome.event_id, outcome.status) == (
        sent.message_id,
        sent.command.event_id,
        "created",
    )


def test_an_outcome_without_fields_encodes_as_before_they_existed() -> None:
    """Gateways that predate `fields` refuse unknown keys: it is sent only when there are any."""
    plain = Outcome(
        message_id=uuid.uuid4(), request_id="req_1", owner_id=7, event_id=uuid.uuid4(),
        status="rejected", reason_code="not_found", reason="no such event",
        decided_at=datetime.now(UTC),
    )  # fmt: skip
    assert b'"fields"' not in encode(plain)
    assert decode_outcome(encode(plain)) == plain
    problem = FieldProblem(path="title", code="nul_character", message="remove it")
    with_fields = plain.model_copy(update={"fields": (problem,)})
    assert decode_outcome(encode(with_fields)).fields == (problem,)


def test_a_status_change_without_a_version_encodes_as_before_it_existed() -> None:
    """Publishers that predate `source_updated_at` refuse unknown keys: it is sent only
    when set, and the request hash of a webhook's unpublish leaves it out either way."""
    event_id = uuid.uuid4()
    plain = envelope().model_copy(
        update={"command": ChangeStatus(event_id=event_id, action="unpublish")}
    )
    assert b"source_updated_at" not in encode(plain)
    assert decode_ingest(encode(plain)) == plain
    at = datetime(2026, 5, 3, 10, 0, tzinfo=UTC)
    versioned = plain.model_copy(
        update={"command": ChangeStatus(event_id=event_id, action="unpublish",
                                        source_updated_at=at)}
    )  # fmt: skip
    assert decode_ingest(encode(versioned)) == versioned
    integration = {"id": uuid.uuid4(), "account_id": 7, "channel_id": 3}
    hashes = {
        delivery_envelope(integration, envelope.command, "req_1", "key").request_hash
        for envelope in (plain, versioned)
    }
    assert len(hashes) == 1


def test_a_batch_items_command_is_the_events_without_the_items_key() -> None:
    event_id = uuid.uuid4()
    item = parse_item(0, {**docs_example(), "idempotencyKey": "feed-1:create"})
    alone = CreateEvent(event_id=event_id, event=parse_event(docs_example()))
    assert CreateEvent(event_id=event_id, event=item).model_dump_json() == alone.model_dump_json()
