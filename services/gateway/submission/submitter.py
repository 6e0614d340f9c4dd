"""The service layer of the API's event commands, in two steps an endpoint calls in turn:

    command = await submitter.prepare_create(call, payload)   # validate, authorize, name it
    submission = await submitter.submit(call, command, payload)   # claim key, Kafka, outcome

Create, update and status changes differ only in how they are prepared. Refusals are raised
as the gateway's own errors (`services.gateway.errors`); the edge turns them into HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.claims import InFlight
from services.gateway.adapters.events import EventStore, IdempotencyRecord
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.operations import OperationStore
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.errors import (
    ChannelForbidden,
    CommandRejected,
    EventCancelled,
    EventNotFound,
    GatewayError,
    IdempotencyKeyReused,
    InvalidInput,
    NotRecurring,
    OccurrenceNotFound,
    StaleUpdate,
)
from services.gateway.submission.envelopes import Call, build_envelope, request_hash
from shared.contracts.event_view import event_view
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    Outcome,
    StatusAction,
    UpdateEvent,
    UpdateOccurrence,
    derive_event_id,
)
from shared.core.metrics import OUTCOME_WAITS
from shared.domain.events import (
    FieldError,
    InvalidEvent,
    apply_patch,
    parse_event,
    parse_patch,
)
from shared.domain.occurrences import (
    NoSuchOccurrence,
    occurrence_day,
    parse_occurrence_change,
    stored_overrides,
    with_change,
)

SubmissionState = Literal["created", "updated", "replayed", "accepted"]
T = TypeVar("T")


@dataclass(frozen=True)
class Submission:
    """What became of a command: stored (`created`, `updated`), the stored result of an
    earlier request with the same key (`replayed`), or durable in Kafka but not known to be
    applied yet (`accepted`)."""

    state: SubmissionState
    event_id: uuid.UUID
    event: dict[str, Any] | None
    operation_id: str | None = None  # `accepted`: the handle to read the command's fate


@dataclass(frozen=True)
class Submitter:
    events: EventStore
    access: AccessReader
    claims: InFlight
    writer: KafkaWriter
    outcomes: OutcomeListener
    outcome_wait_seconds: float
    operations: OperationStore

    async def prepare_create(
        self, call: Call, payload: object, *, known_storable: bool = False
    ) -> CreateEvent:
        """`known_storable`: the body's text showed every value storable
        (`surely_storable_json`), so validation skips its own pass."""
        event = _validated(partial(parse_event, known_storable=known_storable), payload)
        if not await self.access.can_access_channel(call.owner_id, event.channelId):
            raise ChannelForbidden(event.channelId)
        owner, key = call.owner_id, call.idempotency_key
        event_id = derive_event_id(owner, key, event.channelId, event.sourceId)
        return CreateEvent(event_id=event_id, event=event)

    async def prepare_update(self, call: Call, event_id: uuid.UUID, payload: object) -> UpdateEvent:
        changes = _validated(parse_patch, payload).changes()
        row = await self._accessible_event(call, event_id)
        # Checked here for a quick 422; the publisher checks again against the row it changes.
        _validated(lambda c: apply_patch(row["body"], c, row["channel_id"]), changes)
        return UpdateEvent(event_id=event_id, changes=changes)

    async def prepare_occurrence_change(
        self, call: Call, event_id: uuid.UUID, start: str, payload: object
    ) -> UpdateOccurrence:
        """One occurrence of a recurring event, named by its original start (its local date
        or the instant), moved or cancelled on its own."""
        changes = _validated(parse_occurrence_change, payload).changes()
        row = await self._accessible_event(call, event_id)
        event = parse_event({**row["body"], "channelId": row["channel_id"]})
        if event.recurrence is None:
            raise NotRecurring()
        day = occurrence_day(start, ZoneInfo(event.timezone))
        if day is None:
            raise OccurrenceNotFound(start, unreadable=True)
        held = stored_overrides(row["occurrence_overrides"])
        try:  # checked here for a quick answer; the publisher checks again
            _validated(lambda c: with_change(event, held, day, c), changes)
        except NoSuchOccurrence:
            raise OccurrenceNotFound(start) from None
        return UpdateOccurrence(event_id=event_id, occurrence=day, changes=changes)

    async def prepare_status_change(
        self, call: Call, event_id: uuid.UUID, action: StatusAction
    ) -> ChangeStatus:
        await self._accessible_event(call, event_id)
        return ChangeStatus(event_id=event_id, action=action)

    async def submit(self, call: Call, command: Command, payload: object) -> Submission:
        """Claim the call's Idempotency-Key (or replay what it stored), write the command to
        Kafka (acks=all), and wait a bounded time for the publisher's outcome."""
        envelope = self._envelope(call, command, payload)
        digest = envelope.request_hash
        async with self.claims.claim(call.owner_id, call.idempotency_key, digest) as prior:
            if prior is not None:
                return await self._replay(call, prior, digest)
            with self.outcomes.expecting(envelope) as awaited:
                await self.writer.write_command(envelope)
                outcome = await awaited.outcome(self.outcome_wait_seconds) if awaited else None
        submission = submission_of(envelope, outcome)
        if submission.state != "accepted":
            return submission
        return replace(submission, operation_id=self.operations.issue(envelope))

    def _envelope(self, call: Call, command: Command, payload: object) -> IngestEnvelope:
        # The caller gives up after the send (at most its timeout) and then the wait.
        wait = self.writer.send_timeout_seconds + self.outcome_wait_seconds
        digest = request_hash(command, payload)
        wait_seconds = None if call.respond_async else wait
        return build_envelope(
            call, command, digest, call.idempotency_key, wait_seconds=wait_seconds
        )

    async def _accessible_event(self, call: Call, event_id: uuid.UUID) -> dict[str, Any]:
        row = await self.events.event(call.owner_id, event_id)
        if row is None:
            raise EventNotFound()
        return row

    async def _replay(self, call: Call, prior: IdempotencyRecord, digest: str) -> Submission:
        if prior.request_hash != digest:
            raise IdempotencyKeyReused()
        if prior.rejection is not None:  # the key's answer never turns into "accepted"
            rejected = prior.rejection
            raise refusal_of(rejected.code, rejected.message, rejected.fields)
        row = await self.events.event(call.owner_id, prior.event_id)
        return Submission("replayed", prior.event_id, event_view(row) if row else None)


def submission_of(envelope: IngestEnvelope, outcome: Outcome | None) -> Submission:
    """The submission the publisher's outcome makes of the command (None: no outcome, or none
    waited for), or its refusal raised as the gateway error it is."""
    event_id = envelope.command.event_id
    if envelope.awaited_until is None:  # no outcome is announced for it: nothing to wait for
        OUTCOME_WAITS.labels("not_awaited").inc()
        return Submission("accepted", event_id, None)
    if outcome is None:
        OUTCOME_WAITS.labels("timed_out").inc()
        return Submission("accepted", event_id, None)
    OUTCOME_WAITS.labels("answered").inc()
    if outcome.status in ("created", "updated"):
        return Submission(outcome.status, outcome.event_id, outcome.event)
    if outcome.status == "duplicate":
        return Submission("replayed", outcome.event_id, outcome.event)
    if outcome.status == "stale":
        raise StaleUpdate()
    fields = [FieldError(f.path, f.code, f.message) for f in outcome.fields or ()]
    raise refusal_of(outcome.reason_code, outcome.reason, fields)


def refusal_of(code: str | None, reason: str | None, fields: Sequence[FieldError]) -> GatewayError:
    """The gateway error a publisher's rejection (code, reason, fields) is answered as."""
    refusal = _REFUSALS.get(code or "")
    return refusal() if refusal else CommandRejected(code, reason, fields)


_REFUSALS: dict[str, Callable[[], GatewayError]] = {
    "idempotency_key_reused": IdempotencyKeyReused,
    "not_found": EventNotFound,
    "event_cancelled": EventCancelled,
    "not_recurring": NotRecurring,
    "occurrence_not_found": OccurrenceNotFound,  # the series changed after the gateway's check
    "stale_update": StaleUpdate,  # a key whose update was stale: its retries are stale too
}


def _validated(parse: Callable[[Any], T], payload: Any) -> T:
    try:
        return parse(payload)
    except InvalidEvent as exc:
        raise InvalidInput(exc.errors) from None
