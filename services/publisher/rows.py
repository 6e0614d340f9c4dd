"""Values the publisher writes and the outcomes it announces, shared by both paths."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.contracts.event_view import event_view
from shared.contracts.messages import FieldProblem, IngestEnvelope, Outcome, OutcomeStatus
from shared.domain.events import EventInput, FieldError
from shared.domain.field_errors import invalid_fields_message
from shared.domain.storable import storable_text

# The status lives in its column only: actions move it without touching the body.
_NOT_IN_BODY = {"status"}


def event_columns(event: EventInput) -> tuple[Any, ...]:
    """Values for title .. body of the insert and replace statements, in their order."""
    return (*event_fields(event), event.model_dump(mode="json", exclude=_NOT_IN_BODY))


def event_fields(event: EventInput) -> tuple[Any, ...]:
    """The columns from title to source_updated_at."""
    return (
        event.title,
        event.startAt,
        event.endAt,
        event.timezone,
        event.sourceId,
        event.sourceUpdatedAt,
    )


def event_body_json(event: EventInput) -> str:
    """The body as JSON text, encoded in one step by pydantic's core (the bulk path)."""
    return event.model_dump_json(exclude=_NOT_IN_BODY)


@dataclass(frozen=True, slots=True)
class Applied:
    """What the publisher did with one command. Recorded for every command; turned into an
    Outcome message only for a gateway still waiting (a plain object is several times cheaper
    to build than a pydantic model, and most are never sent)."""

    message_id: uuid.UUID
    request_id: str
    owner_id: int
    event_id: uuid.UUID
    status: OutcomeStatus
    reason_code: str | None
    reason: str | None
    event: dict[str, Any] | None
    decided_at: datetime
    # The gateway's time of the request: command_outcomes is partitioned by it (0022).
    received_at: datetime
    fields: tuple[FieldError, ...] = ()
    # Already in command_outcomes: the set-based path records its outcomes as it stores.
    recorded: bool = False

    def message(self) -> Outcome:
        return Outcome(
            message_id=self.message_id,
            request_id=self.request_id,
            owner_id=self.owner_id,
            event_id=self.event_id,
            status=self.status,
            reason_code=self.reason_code,
            reason=self.reason,
            event=self.event,
            decided_at=self.decided_at,
            fields=tuple(FieldProblem(path=f.path, code=f.code, message=f.message)
                         for f in self.fields) or None,
        )  # fmt: skip


def make_outcome(
    envelope: IngestEnvelope,
    status: OutcomeStatus,
    *,
    event_id: uuid.UUID | None = None,
    row: Mapping[str, Any] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
    fields: Sequence[FieldError] = (),
    decided_at: datetime | None = None,
    recorded: bool = False,
) -> Applied:
    """The stored event (`row`) goes into the outcome only for a gateway waiting to answer
    with it; the record in command_outcomes needs none of it. A rejection's reason and fields
    may quote what the sender sent: they are made storable, as they are recorded."""
    decided_at = decided_at or datetime.now(UTC)
    event = event_view(row) if row is not None and envelope.awaited(decided_at) else None
    return Applied(
        envelope.message_id,
        envelope.request_id,
        envelope.owner_id,
        event_id or envelope.command.event_id,
        status,
        reason_code,
        storable_text(reason) if reason is not None else None,
        event,
        decided_at,
        envelope.received_at,
        tuple(FieldError(storable_text(f.path), f.code, storable_text(f.message)) for f in fields),
        recorded,
    )


def no_such_event(envelope: IngestEnvelope) -> Applied:
    return make_outcome(envelope, "rejected", reason_code="not_found", reason="no such event")


def invalid_fields(envelope: IngestEnvelope, fields: Sequence[FieldError]) -> Applied:
    """`validation_failed`, naming each field, as the gateway would have answered it."""
    return make_outcome(envelope, "rejected", reason_code="validation_failed",
                        reason=invalid_fields_message(list(fields)), fields=fields)  # fmt: skip
