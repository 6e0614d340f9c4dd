"""Versioned message schemas that travel through Kafka, and their codecs.

Consumers turn bytes into these models at their edge (`decode_*`) and nowhere else; bytes
that do not decode raise `PoisonMessage`, which the consumer sends to the DLQ.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.domain.events import DECODING_STORED, EventInput, StoredStatus

SCHEMA_VERSION: Literal[1] = 1

ALWAYS = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
CLOCK_GRACE = timedelta(seconds=1)

# Names the deterministic event ids; changing it would change every derived id.
EVENT_ID_NAMESPACE = uuid.UUID("8f6b1d2e-4a57-4c1b-9a3e-6d0f5b7c2e91")


class PoisonMessage(Exception):
    """A message no retry can apply: undecodable, or of an unknown schema version."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Fields added after the schema's first version, left out of the encoded message while
    # unset, so consumers that predate them still decode it.
    LATER_FIELDS: ClassVar[frozenset[str]] = frozenset()


class CreateEvent(_Message):
    type: Literal["create_event"] = "create_event"
    event_id: uuid.UUID
    event: EventInput


class UpdateEvent(_Message):
    """Apply `changes` (only the fields the caller sent, validated as an EventPatch at the
    gateway) to the stored event; the publisher merges and re-validates the whole."""

    type: Literal["update_event"] = "update_event"
    event_id: uuid.UUID
    changes: dict[str, Any]


StatusAction = Literal["publish", "unpublish", "cancel"]
STATUS_AFTER: dict[str, StoredStatus] = {
    "publish": "published",
    "unpublish": "draft",
    "cancel": "cancelled",
}


class ChangeStatus(_Message):
    """Publish, unpublish or cancel. `source_updated_at`: the sender's version of the
    document when it asked (a webhook's unpublish): the change is `stale` under a newer
    stored version and records its own, so a publish sent before it and delivered after it
    is stale too. Left out while unset: publishers before it refuse the key, so they are
    deployed first."""

    LATER_FIELDS = frozenset({"source_updated_at"})

    type: Literal["change_status"] = "change_status"
    event_id: uuid.UUID
    action: StatusAction
    source_updated_at: datetime | None = None


class UpdateOccurrence(_Message):
    """Move or cancel one occurrence of a recurring event on its own: `changes` (validated
    as an OccurrenceChange at the gateway) merge into what that occurrence changed before.
    `occurrence` is the local date of its original start, which names it in its series."""

    type: Literal["update_occurrence"] = "update_occurrence"
    event_id: uuid.UUID
    occurrence: date
    changes: dict[str, Any]


# One command type per action, told apart by `type`.
Command = Annotated[
    CreateEvent | UpdateEvent | ChangeStatus | UpdateOccurrence, Field(discriminator="type")
]


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
    command: Command
    # Until when a gateway waits for the outcome; None when none does (Prefer: respond-async,
    # batches, webhook deliveries). Past it the publisher records the outcome without
    # announcing it: a backlog drained after an outage announces nothing nobody waits for.
    # Absent in messages written before the field existed: those are announced as before.
    awaited_until: datetime | None = ALWAYS

    def awaited(self, now: datetime) -> bool:
        """Clocks of gateway and publisher hosts may differ a little: a second of grace."""
        return self.awaited_until is not None and now < self.awaited_until + CLOCK_GRACE


class IngestGroup(_Message):
    """Commands of one batch request bound for one ingest partition, in one Kafka message, in
    the order of the request's items: a message per item cost the gateway, the broker and
    the publisher a record each. Single requests, webhook deliveries and gateways before
    it write one IngestEnvelope per message; the publisher reads both forms."""

    schema_version: Literal[1] = SCHEMA_VERSION
    commands: tuple[IngestEnvelope, ...] = Field(min_length=1)


# The JSON of an IngestGroup around already encoded envelopes (`encode_group`). Its head
# tells a group from a single envelope without a trial: a union tried in order failed the
# envelope first at 17 us per command of the group, more than decoding it.
_GROUP_HEAD = b'{"schema_version":%d,"commands":[' % SCHEMA_VERSION
_GROUP_TAIL = b"]}"


def encode_group(encoded_envelopes: Sequence[bytes]) -> bytes:
    """An IngestGroup message of envelopes already encoded by `encode` (each is encoded
    once, and its size known before it joins a group)."""
    return b"".join((_GROUP_HEAD, b",".join(encoded_envelopes), _GROUP_TAIL))


def group_overhead(count: int) -> int:
    """Bytes an IngestGroup of `count` envelopes adds to the envelopes' own."""
    return len(_GROUP_HEAD) + len(_GROUP_TAIL) + max(count - 1, 0)


OutcomeStatus = Literal["created", "updated", "duplicate", "stale", "rejected"]


class FieldProblem(_Message):
    """A field a rejected command must change: dotted path, stable code, what to do."""

    path: str
    code: str
    message: str


class Outcome(_Message):
    """What the publisher did with one command, for the waiting gateway and the auditor.

    A rejection carries a stable `reason_code`, a `reason` a person can act on (never the
    database's own text) and, where it can name them, the `fields` to fix."""

    LATER_FIELDS = frozenset({"fields"})

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
    fields: tuple[FieldProblem, ...] | None = None


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


class AuditBatch(_Message):
    """The audit records one gateway gathered over a few milliseconds, in one Kafka message:
    a message per request cost the gateway a produce per request. Gateways before it wrote
    each AuditRecord on its own; the auditor reads both forms."""

    schema_version: Literal[1] = SCHEMA_VERSION
    records: tuple[AuditRecord, ...]


# The batch first: the form gateways write now. Smart mode would validate both every time.
_AUDIT_FORMS: TypeAdapter[AuditBatch | AuditRecord] = TypeAdapter(
    Annotated[AuditBatch | AuditRecord, Field(union_mode="left_to_right")]
)


def derive_event_id(
    owner_id: int,
    idempotency_key: str | None,
    channel_id: int | None = None,
    source_id: str | None = None,
) -> uuid.UUID:
    """The identity of the event a create touches, known before the publisher runs.

    The source's stable id in its channel comes first (so a sync job's resend is an upsert),
    then the owner's Idempotency-Key (so a retry gets the same id), else a fresh id.
    """
    if source_id is not None and channel_id is not None:
        return uuid.uuid5(EVENT_ID_NAMESPACE, f"channel:{channel_id}:source:{source_id}")
    if idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"owner:{owner_id}:idem:{idempotency_key}")


def encode(message: _Message) -> bytes:
    exclude: dict[str, Any] = {
        name: True for name in message.LATER_FIELDS if getattr(message, name) is None
    }
    command = getattr(message, "command", None)
    if isinstance(command, _Message):  # an envelope: its command's later fields too
        unset = {name for name in command.LATER_FIELDS if getattr(command, name) is None}
        if unset:
            exclude["command"] = unset
    return message.model_dump_json(exclude=exclude or None).encode()


M = TypeVar("M", bound=BaseModel)


def decode_as(model: type[M], raw: bytes | None) -> M:
    """`raw` as a `model`; PoisonMessage when it is missing or does not validate."""
    if raw is None:
        raise PoisonMessage("message has no value")
    try:
        return model.model_validate_json(raw, context={DECODING_STORED: True})
    except ValidationError as exc:
        raise _invalid(model.__name__, exc) from None


def _invalid(what: str, exc: ValidationError) -> PoisonMessage:
    return PoisonMessage(
        f"not a valid {what}: {exc.error_count()} error(s): "
        f"{exc.errors(include_url=False, include_input=False)[:3]}"
    )


def decode_ingest(raw: bytes | None) -> IngestEnvelope:
    return decode_as(IngestEnvelope, raw)


def decode_ingest_commands(raw: bytes | None) -> tuple[IngestEnvelope, ...]:
    """The commands of an ingest message in their order: an IngestGroup's (as `encode_group`
    writes it), or the one IngestEnvelope of any other message. PoisonMessage when it is
    neither."""
    if raw is not None and raw.startswith(_GROUP_HEAD):
        return decode_as(IngestGroup, raw).commands
    return (decode_ingest(raw),)


def decode_outcome(raw: bytes | None) -> Outcome:
    return decode_as(Outcome, raw)


def decode_audit(raw: bytes | None) -> tuple[AuditRecord, ...]:
    """The records of an AuditBatch, or the one AuditRecord a gateway before batching wrote
    (still on the topic during a rolling deploy, and for its retention)."""
    if raw is None:
        raise PoisonMessage("message has no value")
    try:
        message = _AUDIT_FORMS.validate_json(raw)
    except ValidationError as exc:
        raise _invalid("AuditBatch or AuditRecord", exc) from None
    return message.records if isinstance(message, AuditBatch) else (message,)


def request_hash(command: Command, payload: Any) -> str:
    """Same key with another action or another target is a different request."""
    canonical = json.dumps(
        {"type": command.type, "eventId": str(command.event_id), "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
