"""`POST /events/batch`: up to 500 events, one result per item, partial success allowed.

Items are validated, authorized and replay-checked one by one; the valid ones are produced
concurrently, so the batch costs one round of broker acknowledgements, not one per item.
Results say `accepted` (durable in Kafka, applied shortly: its `operation` answers its fate,
its `location` the event once stored), `replayed`, `invalid`, `forbidden`, `rejected` (also
the recorded rejection of an earlier item with the same key) or `unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.gateway.adapters.events import EventStore, IdempotencyRecord
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.operations import OperationStore, operation_location
from services.gateway.errors import EventLogUnavailable, InvalidInput
from services.gateway.submission.batch_model import BatchItem, parse_batch, parse_item
from services.gateway.submission.envelopes import Call, build_envelope, request_hash
from shared.contracts.messages import CreateEvent, IngestEnvelope, derive_event_id
from shared.core.slices import TimeSlice
from shared.domain.events import EventInput, FieldError, InvalidEvent

Result = dict[str, Any]


@dataclass(frozen=True)
class BatchSubmitter:
    events: EventStore
    writer: KafkaWriter
    operations: OperationStore
    location_base: str

    async def submit(
        self, call: Call, payload: object, *, known_storable: bool = False
    ) -> list[Result]:
        """One result per item of the decoded body `payload`, in order. `known_storable`:
        the body's text was shown storable (`surely_storable_json`), so items skip their own
        check."""
        try:
            raw_items = parse_batch(payload).events
        except InvalidEvent as exc:
            raise InvalidInput(exc.errors) from None
        results: dict[int, Result] = {}
        valid: list[tuple[int, BatchItem]] = []
        work = TimeSlice()
        for index, raw in enumerate(raw_items):
            await work.checkpoint()
            try:
                valid.append((index, parse_item(index, raw, known_storable=known_storable)))
            except InvalidEvent as exc:
                results[index] = _problem(index, "invalid", "validation_failed", exc.errors)
        pending = await self._commands(call, valid, raw_items, results)
        await self._produce(pending, results)
        return [results[index] for index in range(len(raw_items))]

    async def _commands(
        self,
        call: Call,
        valid: list[tuple[int, BatchItem]],
        raw_items: list[dict[str, Any]],
        results: dict[int, Result],
    ) -> list[tuple[int, IngestEnvelope]]:
        owner = call.owner_id
        channels = await self.events.accessible_channels(
            owner, sorted({item.channelId for _, item in valid})
        )
        keys = [item.idempotencyKey for _, item in valid if item.idempotencyKey]
        priors = await self.events.idempotency_records(owner, keys) if keys else {}
        pending = []
        # A key's first item in this batch stands for it, as an earlier request's would.
        digests: dict[str, str] = {}
        work = TimeSlice()
        for index, item in valid:
            await work.checkpoint()
            if item.channelId not in channels:
                problem = f"channel {item.channelId} is not accessible to this key"
                error = FieldError(f"events.{index}.channelId", "channel_forbidden", problem)
                results[index] = _problem(index, "forbidden", "channel_forbidden", [error])
                continue
            # Already validated: a BatchItem is an EventInput, and a command serializes its
            # event by EventInput's schema, so the item's own key stays out of the record.
            event: EventInput = item
            key = item.idempotencyKey
            event_id = derive_event_id(owner, key, event.channelId, event.sourceId)
            command = CreateEvent(event_id=event_id, event=event)
            digest = request_hash(command, raw_items[index])
            prior = priors.get(key) if key else None
            if prior is not None:
                results[index] = self._replayed(index, prior, digest)
                continue
            if key and digests.setdefault(key, digest) != digest:
                results[index] = _reused(index)
                continue
            pending.append((index, build_envelope(call, command, digest, key, wait_seconds=None)))
        return pending

    async def _produce(
        self, pending: list[tuple[int, IngestEnvelope]], results: dict[int, Result]
    ) -> None:
        sent = await self.writer.write_commands([envelope for _, envelope in pending])
        for (index, envelope), refusal in zip(pending, sent, strict=True):
            if refusal is not None:
                results[index] = _problem(index, "unavailable", "service_unavailable", [])
            else:
                results[index] = self._accepted(index, envelope)
        if pending and all(results[i]["status"] == "unavailable" for i, _ in pending):
            raise EventLogUnavailable("The event log is unavailable; no item was accepted.")

    def _replayed(self, index: int, prior: IdempotencyRecord, digest: str) -> Result:
        if prior.request_hash != digest:
            return _reused(index)
        if prior.rejection is not None:  # the key's answer never turns into "accepted"
            rejected = prior.rejection
            return _rejected(index, rejected.code, rejected.message, rejected.fields)
        return self._ok(index, "replayed", str(prior.event_id))

    def _accepted(self, index: int, envelope: IngestEnvelope) -> Result:
        operation = self.operations.issue(envelope)
        result = self._ok(index, "accepted", str(envelope.command.event_id))
        return {**result, "operationId": operation,
                "operation": operation_location(operation)}  # fmt: skip

    def _ok(self, index: int, status: str, event_id: str) -> Result:
        return {"index": index, "status": status, "id": event_id,
                "location": f"{self.location_base}/{event_id}"}  # fmt: skip


def _reused(index: int) -> Result:
    error = FieldError(f"events.{index}.idempotencyKey", "reused",
                       "key used before with a different event")  # fmt: skip
    return _problem(index, "rejected", "idempotency_key_reused", [error])


def _rejected(index: int, code: str, message: str, fields: list[FieldError]) -> Result:
    return _failed(index, "rejected", code, message, fields)


def _problem(index: int, status: str, code: str, fields: list[FieldError]) -> Result:
    messages = {
        "validation_failed": "The item is invalid; fix the fields listed.",
        "channel_forbidden": "The item's channel is not accessible to this key's owner.",
        "idempotency_key_reused": "The item's idempotencyKey was used with a different event.",
        "service_unavailable": "The event log did not accept this item; retry it.",
    }
    return _failed(index, status, code, messages[code], fields)


def _failed(index: int, status: str, code: str, message: str, fields: list[FieldError]) -> Result:
    error: Result = {"code": code, "message": message}
    if fields:
        error["fields"] = [{"path": f.path, "code": f.code, "message": f.message} for f in fields]
    return {"index": index, "status": status, "error": error}
