"""Submitting an event: validate, authorize, idempotency pre-check, write to Kafka, await."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from services.gateway.auth import Principal
from services.gateway.errors import (
    ApiError,
    ChannelForbidden,
    IdempotencyKeyReused,
    ValidationFailed,
)
from services.gateway.ingest import KafkaWriter
from services.gateway.outcomes import OutcomeListener
from services.gateway.repository import Repository
from shared.event_model import InvalidEvent, parse_event
from shared.event_view import event_view
from shared.messages import CreateEvent, IngestEnvelope, Outcome, derive_event_id
from shared.metrics import OUTCOME_WAITS

SubmissionState = Literal["created", "replayed", "accepted"]


@dataclass(frozen=True)
class Submission:
    state: SubmissionState
    event_id: uuid.UUID
    event: dict[str, Any] | None


@dataclass(frozen=True)
class EventSubmitter:
    repository: Repository
    writer: KafkaWriter
    outcomes: OutcomeListener
    outcome_wait_seconds: float

    async def submit(
        self,
        principal: Principal,
        payload: Any,
        idempotency_key: str | None,
        request_id: str,
        respond_async: bool,
    ) -> Submission:
        try:
            event = parse_event(payload)
        except InvalidEvent as exc:
            raise ValidationFailed(exc.errors) from None
        if not await self.repository.can_access_channel(principal.owner_id, event.channelId):
            raise ChannelForbidden(event.channelId)
        request_hash = _request_hash(payload)
        if idempotency_key is not None:
            replay = await self._replay(principal, idempotency_key, request_hash)
            if replay is not None:
                return replay
        message_id = uuid.uuid4()
        envelope = IngestEnvelope(
            message_id=message_id,
            request_id=request_id,
            received_at=datetime.now(UTC),
            owner_id=principal.owner_id,
            api_key_id=principal.key_id,
            idempotency_key=idempotency_key or f"message:{message_id}",
            request_hash=request_hash,
            command=CreateEvent(
                event_id=derive_event_id(principal.owner_id, idempotency_key), event=event
            ),
        )
        return await self._write_and_wait(envelope, respond_async)

    async def _replay(self, principal: Principal, key: str, request_hash: str) -> Submission | None:
        prior = await self.repository.idempotency_record(principal.owner_id, key)
        if prior is None:
            return None
        if prior.request_hash != request_hash:
            raise IdempotencyKeyReused()
        row = await self.repository.event(principal.owner_id, prior.event_id)
        return Submission("replayed", prior.event_id, event_view(row) if row else None)

    async def _write_and_wait(self, envelope: IngestEnvelope, respond_async: bool) -> Submission:
        future = self.outcomes.expect(envelope.message_id)
        try:
            await self.writer.write_command(envelope)
            wait = 0.0 if respond_async else self.outcome_wait_seconds
            outcome = await self.outcomes.wait(future, wait)
        finally:
            self.outcomes.forget(envelope.message_id)
        return _answer(outcome, envelope.command.event_id)


def _answer(outcome: Outcome | None, event_id: uuid.UUID) -> Submission:
    if outcome is None:
        OUTCOME_WAITS.labels("timed_out").inc()
        return Submission("accepted", event_id, None)
    OUTCOME_WAITS.labels("answered").inc()
    if outcome.status == "created":
        return Submission("created", outcome.event_id, outcome.event)
    if outcome.status == "duplicate":
        return Submission("replayed", outcome.event_id, outcome.event)
    if outcome.reason_code == "idempotency_key_reused":
        raise IdempotencyKeyReused()
    error = ApiError(outcome.reason or "The event was rejected.", code=outcome.reason_code)
    error.status = 422
    raise error


def _request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
