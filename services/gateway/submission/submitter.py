"""Submitting a command: validate, authorize, idempotency pre-check, write to Kafka, await.

Create, update and status changes share one path; only validation and the command differ.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from services.gateway.access.auth import Principal
from services.gateway.access.cache import AccessReader
from services.gateway.adapters.claims import InFlight
from services.gateway.adapters.events import IdempotencyRecord, Repository
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.edge.errors import (
    ApiError,
    ChannelForbidden,
    Conflict,
    IdempotencyKeyReused,
    NotFound,
    ValidationFailed,
)
from shared.contracts.event_view import event_view
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    Outcome,
    StatusAction,
    UpdateEvent,
    derive_event_id,
)
from shared.core.metrics import OUTCOME_WAITS
from shared.domain.events import InvalidEvent, apply_patch, parse_event, parse_patch

SubmissionState = Literal["created", "updated", "replayed", "accepted"]
T = TypeVar("T")

_NOT_ACCESSIBLE = "No event with that id is accessible to this key."


@dataclass(frozen=True)
class Submission:
    state: SubmissionState
    event_id: uuid.UUID
    event: dict[str, Any] | None


@dataclass(frozen=True)
class Request:
    """What every submission needs from the HTTP request."""

    principal: Principal
    idempotency_key: str | None
    request_id: str
    respond_async: bool


@dataclass(frozen=True)
class EventSubmitter:
    repository: Repository
    access: AccessReader
    writer: KafkaWriter
    outcomes: OutcomeListener
    inflight: InFlight
    outcome_wait_seconds: float

    async def create(self, request: Request, payload: Any) -> Submission:
        event = _validated(parse_event, payload)
        if not await self.access.can_access_channel(request.principal.owner_id, event.channelId):
            raise ChannelForbidden(event.channelId)
        event_id = derive_event_id(
            request.principal.owner_id, request.idempotency_key, event.channelId, event.sourceId
        )
        return await self._submit(request, CreateEvent(event_id=event_id, event=event), payload)

    async def update(self, request: Request, event_id: uuid.UUID, payload: Any) -> Submission:
        patch = _validated(parse_patch, payload)
        row = await self._accessible_event(request, event_id)
        # Checked here for a quick 422; the publisher checks again against the row it changes.
        changes = patch.changes()
        _validated(lambda c: apply_patch(row["body"], c, row["channel_id"]), changes)
        return await self._submit(request, UpdateEvent(event_id=event_id, changes=changes), payload)

    async def change_status(
        self, request: Request, event_id: uuid.UUID, action: StatusAction
    ) -> Submission:
        await self._accessible_event(request, event_id)
        command = ChangeStatus(event_id=event_id, action=action)
        return await self._submit(request, command, {"action": action})

    async def _accessible_event(self, request: Request, event_id: uuid.UUID) -> dict[str, Any]:
        row = await self.repository.event(request.principal.owner_id, event_id)
        if row is None:
            raise NotFound(_NOT_ACCESSIBLE)
        return row

    async def _submit(self, request: Request, command: Command, payload: Any) -> Submission:
        digest = request_hash(command, payload)
        key = request.idempotency_key
        if key is None:
            return await self._send(request, command, digest)
        owner_id = request.principal.owner_id
        claim = await self.inflight.look_up_or_claim(owner_id, key)
        if claim.prior is not None:
            return await self._replay(request, claim.prior, digest)
        try:
            return await self._send(request, command, digest)
        finally:
            await self.inflight.release(owner_id, key)

    async def _send(self, request: Request, command: Command, digest: str) -> Submission:
        envelope = build_envelope(
            request,
            command,
            digest,
            request.idempotency_key,
            # The caller gives up after the send (at most its timeout) and then the wait.
            wait_seconds=None
            if request.respond_async
            else self.writer.send_timeout_seconds + self.outcome_wait_seconds,
        )
        return await self._write_and_wait(envelope, request.respond_async)

    async def _replay(self, request: Request, prior: IdempotencyRecord, digest: str) -> Submission:
        if prior.request_hash != digest:
            raise IdempotencyKeyReused()
        row = await self.repository.event(request.principal.owner_id, prior.event_id)
        return Submission("replayed", prior.event_id, event_view(row) if row else None)

    async def _write_and_wait(self, envelope: IngestEnvelope, respond_async: bool) -> Submission:
        if respond_async:  # no outcome will be announced for it: nothing to wait for
            await self.writer.write_command(envelope)
            OUTCOME_WAITS.labels("not_awaited").inc()
            return Submission("accepted", envelope.command.event_id, None)
        future = self.outcomes.expect(envelope.message_id)
        try:
            await self.writer.write_command(envelope)
            outcome = await self.outcomes.wait(future, self.outcome_wait_seconds)
        finally:
            self.outcomes.forget(envelope.message_id)
        return _answer(outcome, envelope.command.event_id)


def build_envelope(
    request: Request,
    command: Command,
    digest: str,
    idempotency_key: str | None,
    *,
    wait_seconds: float | None,
) -> IngestEnvelope:
    """`wait_seconds`: how long the caller will wait for the outcome (None: it will not)."""
    message_id = uuid.uuid4()
    received_at = datetime.now(UTC)
    return IngestEnvelope(
        message_id=message_id,
        request_id=request.request_id,
        received_at=received_at,
        owner_id=request.principal.owner_id,
        api_key_id=request.principal.key_id,
        idempotency_key=idempotency_key or f"message:{message_id}",
        request_hash=digest,
        command=command,
        awaited_until=None
        if wait_seconds is None
        else received_at + timedelta(seconds=wait_seconds),
    )


def _validated(parse: Callable[[Any], T], payload: Any) -> T:
    try:
        return parse(payload)
    except InvalidEvent as exc:
        raise ValidationFailed(exc.errors) from None


def _answer(outcome: Outcome | None, event_id: uuid.UUID) -> Submission:
    if outcome is None:
        OUTCOME_WAITS.labels("timed_out").inc()
        return Submission("accepted", event_id, None)
    OUTCOME_WAITS.labels("answered").inc()
    if outcome.status in ("created", "updated"):
        return Submission(outcome.status, outcome.event_id, outcome.event)
    if outcome.status == "duplicate":
        return Submission("replayed", outcome.event_id, outcome.event)
    raise _refusal(outcome)


def _refusal(outcome: Outcome) -> ApiError:
    if outcome.status == "stale":
        return Conflict(
            "A newer version of this event is stored (its sourceUpdatedAt is later than the "
            "one sent), so this change was ignored.",
            code="stale_update",
        )
    if outcome.reason_code == "idempotency_key_reused":
        return IdempotencyKeyReused()
    if outcome.reason_code == "not_found":
        return NotFound(_NOT_ACCESSIBLE)
    if outcome.reason_code == "event_cancelled":
        return Conflict("The event is cancelled; it cannot be published or unpublished.",
                        code="event_cancelled")  # fmt: skip
    error = ApiError(outcome.reason or "The event was rejected.", code=outcome.reason_code)
    error.status = 422
    return error


def request_hash(command: Command, payload: Any) -> str:
    """Same key with another action or another target is a different request."""
    canonical = json.dumps(
        {"type": command.type, "eventId": str(command.event_id), "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
