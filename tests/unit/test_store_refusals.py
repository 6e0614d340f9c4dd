"""The publisher's mapping of the store's refusals: stable codes, the fields to fix where they
can be named, and never the database's own text in what the client reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from services.publisher.refusals import refused
from shared.contracts.messages import ChangeStatus, Command, IngestEnvelope, UpdateEvent

DB_TEXT = 'invalid byte sequence for encoding "UTF8": 0x00'


def envelope(command: Command, key: str = "k") -> IngestEnvelope:
    return IngestEnvelope(
        message_id=uuid.uuid4(), request_id="req_1", received_at=datetime.now(UTC),
        owner_id=1, idempotency_key=key, request_hash="h", command=command,
    )  # fmt: skip


def client_side(cause: Exception) -> asyncpg.DataError:
    """asyncpg refusing to encode an argument, before PostgreSQL sees it."""
    try:
        raise asyncpg.DataError(f"invalid input for query argument $3: {cause}") from cause
    except asyncpg.DataError as exc:
        return exc


UPDATE = UpdateEvent(
    event_id=uuid.uuid4(),
    changes={"title": "a\x00", "endAt": "9999-12-31T23:00:00-05:00", "venue": {"name": "ok"}},
)


@pytest.mark.parametrize(
    ("exc", "fields"),
    [
        (asyncpg.CharacterNotInRepertoireError(DB_TEXT), [("title", "nul_character")]),
        (client_side(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")),
         [("title", "nul_character")]),
        (asyncpg.DatetimeFieldOverflowError("timestamp out of range"),
         [("endAt", "date_out_of_range")]),
        (client_side(OverflowError("date value out of range")), [("endAt", "date_out_of_range")]),
    ],
)  # fmt: skip
def test_refusals_name_the_fields_the_edge_now_refuses(
    exc: Exception, fields: list[tuple[str, str]]
) -> None:
    outcome = refused(envelope(UPDATE), exc)
    assert (outcome.status, outcome.reason_code) == ("rejected", "validation_failed")
    assert [(f.path, f.code) for f in outcome.fields] == fields
    assert str(exc) not in (outcome.reason or "")


def test_a_key_the_store_refuses_is_named() -> None:
    change = envelope(ChangeStatus(event_id=uuid.uuid4(), action="publish"), key="k\x00")
    outcome = refused(change, asyncpg.CharacterNotInRepertoireError(DB_TEXT))
    assert [(f.path, f.code) for f in outcome.fields] == [("idempotencyKey", "nul_character")]


def test_an_unexplained_refusal_says_whose_fault_it_is() -> None:
    exc = asyncpg.CheckViolationError('new row violates check constraint "x"')
    outcome = refused(envelope(ChangeStatus(event_id=uuid.uuid4(), action="cancel")), exc)
    assert outcome.reason_code == "store_refused"
    assert outcome.fields == ()
    assert "req_1" in (outcome.reason or "")
    assert "constraint" not in (outcome.reason or "")
