"""Values the publisher writes and the outcomes it announces, shared by both paths."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.event_model import EventInput
from shared.event_view import event_view
from shared.messages import SCHEMA_VERSION, IngestEnvelope, Outcome, OutcomeStatus


def event_columns(event: EventInput) -> tuple[Any, ...]:
    """Values for title .. body of the insert and replace statements, in their order."""
    return (
        event.title,
        event.startAt,
        event.endAt,
        event.timezone,
        event.sourceId,
        event.sourceUpdatedAt,
        # The status lives in its column only: actions move it without touching the body.
        event.model_dump(mode="json", exclude={"status"}),
    )


def make_outcome(
    envelope: IngestEnvelope,
    status: OutcomeStatus,
    *,
    event_id: uuid.UUID | None = None,
    row: Mapping[str, Any] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
) -> Outcome:
    """The stored event (`row`) goes into the outcome only for a gateway waiting to answer
    with it; the auditor needs none of it."""
    decided_at = datetime.now(UTC)
    event = event_view(row) if row is not None and envelope.awaited(decided_at) else None
    # Every field comes from a validated envelope or our own row: skip re-validation.
    return Outcome.model_construct(
        schema_version=SCHEMA_VERSION,
        message_id=envelope.message_id,
        request_id=envelope.request_id,
        owner_id=envelope.owner_id,
        event_id=event_id or envelope.command.event_id,
        status=status,
        reason_code=reason_code,
        reason=reason,
        event=event,
        decided_at=decided_at,
    )
