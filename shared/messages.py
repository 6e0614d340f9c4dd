"""Versioned message schemas that travel through Kafka, and their codecs.

Consumers turn bytes into these models at their edge (`decode_*`) and nowhere else; bytes
that do not decode raise `PoisonMessage`, which the consumer sends to the DLQ.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.event_model import EventInput

SCHEMA_VERSION: Literal[1] = 1

# Names the deterministic event ids; changing it would change every derived id.
EVENT_ID_NAMESPACE = uuid.UUID("8f6b1d2e-4a57-4c1b-9a3e-6d0f5b7c2e91")


class PoisonMessage(Exception):
    """A message no retry can apply: undecodable, or of an unknown schema version."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CreateEvent(_Message):
    type: Literal["create_event"] = "create_event"
    event_id: uuid.UUID
    event: EventInput


# One command type per action; update, publish, unpublish, cancel and delete join this
# union as a discriminated `type`.
Command = CreateEvent


class IngestEnvelope(_Message):
    """One command and who sent it; the Kafka key is the event id the command touches."""

    schema_version: Literal[1] = SCHEMA_VERSION
    message_id: uuid.UUID
    request_id: str
    received_at: datetime
    owner_id: int
    api_key_id: uuid.UUID | None = None
    integration_id: uuid.UUID | None = None
    # Never null: the caller's Idempotency-Key, or one derived from the message id, so the
    # publisher's unique constraint also absorbs Kafka redelivery.
    idempotency_key: str
    request_hash: str
    command: Command = Field(discriminator="type")


OutcomeStatus = Literal["created", "duplicate", "rejected"]


class Outcome(_Message):
    """What the publisher did with one command, for the waiting gateway and the auditor."""

    schema_version: Literal[1] = SCHEMA_VERSION
    message_id: uuid.UUID
    request_id: str
    owner_id: int
    event_id: uuid.UUID
    status: OutcomeStatus
    reason_code: str | None = None
    reason: str | None = None
    event: dict[str, Any] | None = None
    decided_at: datetime


class AuditRecord(_Message):
    """One gateway request, whatever its status. Secrets never appear: only the key prefix."""

    schema_version: Literal[1] = SCHEMA_VERSION
    record_id: uuid.UUID
    request_id: str
    occurred_at: datetime
    method: str
    route: str
    path: str
    status: int
    duration_seconds: float
    client_ip: str | None = None
    user_agent: str | None = None
    owner_id: int | None = None
    api_key_id: uuid.UUID | None = None
    key_prefix: str | None = None
    error_code: str | None = None


def derive_event_id(owner_id: int, idempotency_key: str | None) -> uuid.UUID:
    """Same owner and key -> same id, so a retry can be answered before the publisher runs."""
    if idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"owner:{owner_id}:idem:{idempotency_key}")


def encode(message: _Message) -> bytes:
    return message.model_dump_json().encode()


M = TypeVar("M", bound=_Message)


def _decode(model: type[M], raw: bytes | None) -> M:
    if raw is None:
        raise PoisonMessage("message has no value")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise PoisonMessage(
            f"not a valid {model.__name__}: {exc.error_count()} error(s): "
            f"{exc.errors(include_url=False, include_input=False)[:3]}"
        ) from None


def decode_ingest(raw: bytes | None) -> IngestEnvelope:
    return _decode(IngestEnvelope, raw)


def decode_outcome(raw: bytes | None) -> Outcome:
    return _decode(Outcome, raw)


def decode_audit(raw: bytes | None) -> AuditRecord:
    return _decode(AuditRecord, raw)
