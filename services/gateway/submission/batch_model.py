"""The body of `POST /api/public/v1/events/batch`, for high-volume partner feeds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.domain.events import EventInput, FieldError, InvalidEvent, field_errors, validate_as

MAX_BATCH = 500


class BatchItem(EventInput):
    """An event plus the item's own Idempotency-Key (the batch has none as a whole)."""

    idempotencyKey: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Items are validated one by one (so one bad item does not sink the rest); here they
    # only need to be objects.
    events: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_BATCH)]


def parse_batch(payload: object) -> EventBatch:
    try:
        return EventBatch.model_validate(payload)
    except ValidationError as exc:
        raise InvalidEvent(field_errors(exc)) from None


def parse_item(index: int, raw: dict[str, Any], *, known_storable: bool = False) -> BatchItem:
    """Validate one item; errors carry paths like `events.3.startAt`. `known_storable`: the
    batch's whole body was shown storable (`surely_storable_json`)."""
    try:
        return validate_as(BatchItem, raw, known_storable=known_storable)
    except InvalidEvent as exc:
        raise InvalidEvent(_prefixed(index, exc.errors)) from None


def _prefixed(index: int, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"events.{index}.{e.path}", e.code, e.message) for e in errors]
