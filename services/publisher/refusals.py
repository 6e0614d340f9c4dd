"""A command PostgreSQL refused although the gateway accepted it.

The edge validates everything the store checks (shared.domain.storable), so each refusal is
a bug, or a command accepted before a rule existed. The command is recorded as rejected with
a stable code, a message a person can act on and the fields to fix where they can be named;
the database's own text goes only to the log, with the request id; the refusal is counted in
`pinned_publisher_store_refusals_total`, which an alert watches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg
import structlog

from services.publisher.rows import Applied, invalid_fields, make_outcome
from shared.contracts.messages import CreateEvent, IngestEnvelope, UpdateEvent
from shared.core.metrics import STORE_REFUSALS
from shared.domain.field_errors import FieldError
from shared.domain.storable import DATE_OUT_OF_RANGE, supported_moment_problem, unstorable_values

log = structlog.get_logger("publisher.command")

# What a command can be refused for; anything else (a syntax error, a missing table) is a
# fault of ours that must stop the consumer rather than reject every command.
STORE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
)

Reason = Literal["text", "date", "number", "channel", "other"]
REASONS: tuple[Reason, ...] = ("text", "date", "number", "channel", "other")
_TIMES = ("startAt", "endAt", "sourceUpdatedAt")


def expose_metric() -> None:
    """Every reason's series from 0, so an alert on increase() sees the first refusal."""
    for reason in REASONS:
        STORE_REFUSALS.labels(reason)


def refused(envelope: IngestEnvelope, exc: Exception) -> Applied:
    reason = _reason(exc)
    STORE_REFUSALS.labels(reason).inc()
    log.error(
        "store refused an accepted command",
        request_id=envelope.request_id,
        message_id=str(envelope.message_id),
        reason=reason,
        sqlstate=getattr(exc, "sqlstate", None),
        constraint=getattr(exc, "constraint_name", None),
        error=str(exc),
    )
    if reason == "channel":
        return _channel_gone(envelope)
    fields = _suspect_fields(envelope, reason)
    if fields:
        return invalid_fields(envelope, fields)
    return make_outcome(
        envelope,
        "rejected",
        reason_code="store_refused",
        reason=(
            "The event could not be stored. The fault is ours, not your request's; sending it "
            f"again will not help until it is fixed. Quote request id {envelope.request_id}."
        ),
    )


def _reason(exc: Exception) -> Reason:
    cause = exc.__cause__  # asyncpg's own refusal to encode a value, before PostgreSQL sees it
    if isinstance(
        exc, asyncpg.CharacterNotInRepertoireError | asyncpg.UntranslatableCharacterError
    ) or isinstance(cause, UnicodeError):
        return "text"
    if isinstance(
        exc, asyncpg.DatetimeFieldOverflowError | asyncpg.InvalidDatetimeFormatError
    ) or isinstance(cause, OverflowError):
        return "date"
    if isinstance(exc, asyncpg.NumericValueOutOfRangeError):
        return "number"
    if isinstance(exc, asyncpg.ForeignKeyViolationError) and "channel" in str(exc.constraint_name):
        return "channel"
    return "other"


def _channel_gone(envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    channel = command.event.channelId if isinstance(command, CreateEvent) else None
    return make_outcome(
        envelope,
        "rejected",
        reason_code="channel_not_found",
        reason=f"Channel {channel} no longer exists, so the event was not stored.",
        fields=[FieldError("channelId", "channel_not_found", "the channel no longer exists")],
    )


def _suspect_fields(envelope: IngestEnvelope, reason: Reason) -> list[FieldError]:
    """The fields that hold what the store refused, as the edge's rules name them today."""
    if reason == "date":
        return _out_of_range(_sent_body(envelope))
    if reason == "text":
        key = {"idempotencyKey": envelope.idempotency_key}
        return unstorable_values(_sent_body(envelope)) + unstorable_values(key)
    return []


def _sent_body(envelope: IngestEnvelope) -> dict[str, Any]:
    command = envelope.command
    if isinstance(command, CreateEvent):
        return command.event.model_dump(mode="json")
    if isinstance(command, UpdateEvent):
        return command.changes
    return {}


def _out_of_range(body: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name in _TIMES:
        try:
            moment = datetime.fromisoformat(body[name])
        except (KeyError, TypeError, ValueError):
            continue
        problem = supported_moment_problem(moment) if moment.tzinfo else None
        if problem is not None:
            errors.append(FieldError(name, DATE_OUT_OF_RANGE, problem))
    return errors
