"""The change stream's record: what the publisher applied to one event, with its full state.

One record per applied change, keyed by event id on `Topic.EVENT_CHANGES` (compacted), in
the order the publisher applied them. Each record carries the whole event and its `version`,
so a record seen twice (the relay is at-least-once) or late is harmless: a consumer keeps
what it holds when a record's version is not above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_json

from shared.contracts.event_view import EventView, event_view
from shared.contracts.messages import decode_as
from shared.domain.events import EventInput, StoredStatus
from shared.domain.recurrence import OccurrenceOverride

CHANGE_SCHEMA_VERSION: Literal[1] = 1

# created: first stored; updated: content changed; status_changed: published <-> draft;
# cancelled: the final status change.
ChangeKind = Literal["created", "updated", "status_changed", "cancelled"]


class PreviousState(BaseModel):
    """What the change replaced, for consumers that act on transitions (an event moving)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: StoredStatus
    startAt: datetime


class EventChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = CHANGE_SCHEMA_VERSION
    change_id: int  # the outbox sequence: increases in apply order for one event
    event_id: uuid.UUID
    version: int  # the event's version after this change (1 when created)
    change: ChangeKind
    changed_at: datetime
    owner_id: int
    event: EventView
    previous: PreviousState | None = None


def change_from_outbox(row: Mapping[str, Any]) -> EventChange:
    """The record for one `event_changes` row (the outbox the events triggers fill), as a
    validated model: what `change_record` encodes, and the reference its tests compare with."""
    previous = None
    if row["previous_status"] is not None:
        previous = PreviousState(status=row["previous_status"], startAt=row["previous_start_at"])
    view = event_view({**row, "id": row["event_id"]})
    return EventChange(
        change_id=row["seq"],
        event_id=row["event_id"],
        version=row["version"],
        change=row["change"],
        changed_at=row["updated_at"],
        owner_id=row["owner_account_id"],
        event=EventView.model_validate(view),
        previous=previous,
    )


def encode_change(change: EventChange) -> bytes:
    return change.model_dump_json().encode()


# The body holds EventInput's fields but the status, which lives in its column; overrides are
# stored without their null fields (occurrence.as_json), which the model writes out.
_BODY_FIELDS = tuple(name for name in EventInput.model_fields if name != "status")
_OVERRIDE_FIELDS = tuple(OccurrenceOverride.model_fields)


def change_record(row: Mapping[str, Any]) -> bytes:
    """The encoded record of one `event_changes` row, the relay's hot path: what
    `encode_change(change_from_outbox(row))` encodes, without building and validating the
    models. Every value in the row was validated before the publisher stored it (its body is an
    EventInput's JSON), so this only arranges it, in EventChange's field order, and pydantic's
    core encodes it as the models would (datetimes, UUIDs, floats). The one difference: objects
    inside the body keep the key order jsonb gives them. tests/integration/test_change_records.py
    proves that both decode to the same EventChange."""
    body = row["body"]
    # As text once: pydantic's core encodes asyncpg's UUID subclass on a slow path (1.4 us
    # against 0.3 for its str), and the id is written twice.
    event_id = str(row["event_id"])
    event = {name: body.get(name) for name in _BODY_FIELDS}
    event["status"] = row["status"]
    event["id"] = event_id
    event["createdAt"] = row["created_at"]
    event["updatedAt"] = row["updated_at"]
    overrides = row["occurrence_overrides"] if body.get("recurrence") is not None else None
    event["occurrenceOverrides"] = [
        {name: override.get(name) for name in _OVERRIDE_FIELDS} for override in overrides or ()
    ]
    previous = None
    if row["previous_status"] is not None:
        previous = {"status": row["previous_status"], "startAt": row["previous_start_at"]}
    return to_json(
        {
            "schema_version": CHANGE_SCHEMA_VERSION,
            "change_id": row["seq"],
            "event_id": event_id,
            "version": row["version"],
            "change": row["change"],
            "changed_at": row["updated_at"],
            "owner_id": row["owner_account_id"],
            "event": event,
            "previous": previous,
        }
    )


def decode_change(raw: bytes | None) -> EventChange:
    """Raises messages.PoisonMessage for bytes that are not a version-1 change record."""
    return decode_as(EventChange, raw)
