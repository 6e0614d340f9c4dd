"""Values the publisher writes and the outcomes it announces, shared by both paths."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.event_model import EventInput
from shared.messages import IngestEnvelope, Outcome, OutcomeStatus


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
    event: dict[str, object] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
) -> Outcome:
    return Outcome(
        message_id=envelope.message_id,
        request_id=envelope.request_id,
        owner_id=envelope.owner_id,
        event_id=event_id or envelope.command.event_id,
        status=status,
        reason_code=reason_code,
        reason=reason,
        event=event,
        decided_at=datetime.now(UTC),
    )
