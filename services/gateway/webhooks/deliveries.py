"""One webhook delivery, from verified bytes to a command durable in Kafka: whose it is, what
it becomes, under which idempotency key, and the row the owner reads back.

The idempotency key is the sender's own, or derived from the document's id, version and
action, never random: the same delivery sent again is deduplicated by the publisher.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.integrations import IntegrationStore
from shared.contracts.messages import Command, IngestEnvelope
from shared.contracts.webhook_commands import command_of, delivery_envelope, idempotency_key
from shared.core.metrics import WEBHOOK_DELIVERIES
from shared.domain.captured import capture, redact_query
from shared.domain.events import FieldError
from shared.domain.mapping.notes import Note, as_json
from shared.domain.senders import Delivery, Sender, verify
from shared.domain.senders.conversion import verdict

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NotAnEvent:
    """A delivery that cannot become an event: still answered 2xx, so the sender does not
    retry it forever, and recorded with its reason for the owner to read."""

    status: Literal["ignored", "invalid"]
    reason_code: str
    reason: str
    fields: list[FieldError] | None = None
    notes: tuple[Note, ...] = ()  # what the mapping noted before it failed


@dataclass(frozen=True)
class Becomes:
    """The command a delivery means, and what its mapping noted (values a value map left
    out, an image without alt text, a price without a currency)."""

    command: Command
    notes: tuple[Note, ...] = ()


class DeliveryLog:
    """The row the owner reads back; written before the answer, so nothing answered is
    unrecorded."""

    def __init__(
        self, store: IntegrationStore, integration: dict[str, Any], request_id: str
    ) -> None:
        self.id = uuid.uuid4()
        self.store = store
        self.integration = integration
        self.request_id = request_id
        self.delivery: Delivery | None = None
        self.kept: dict[str, Any] = {}
        self.notes: tuple[Note, ...] = ()
        self.idempotency_key: str | None = None
        self.replay_of: uuid.UUID | None = None

    def keep(self, headers: Mapping[str, str], query: str, body: bytes) -> None:
        """What preview and replay need of the delivery: its decoded body (size-bounded),
        its headers and query with secrets redacted."""
        captured = capture(headers, body)
        kept_query = redact_query(query) if query else None
        self.kept = {"headers": captured.headers, "body": captured.body, "query": kept_query}

    def read(self, delivery: Delivery, raw: bytes) -> None:
        self.delivery = delivery
        self.idempotency_key = self.idempotency_key or idempotency_key(
            self.integration, delivery, raw
        )

    async def record(
        self,
        status: str,
        reason_code: str | None = None,
        reason: str | None = None,
        fields: list[FieldError] | None = None,
        envelope: IngestEnvelope | None = None,
    ) -> None:
        WEBHOOK_DELIVERIES.labels(self.integration["source"], status).inc()
        document_id = self.delivery.document_id if self.delivery else None
        log.info(
            "webhook delivery",
            integration_id=str(self.integration["id"]),
            source=self.integration["source"],
            status=status,
            reason_code=reason_code,
            document_id=document_id,
        )
        await self.store.record_delivery(
            {
                "id": self.id,
                "integration_id": self.integration["id"],
                "request_id": self.request_id,
                "sender_action": self.delivery.action if self.delivery else None,
                "document_id": document_id,
                "status": status,
                "reason_code": reason_code,
                "reason": reason,
                "fields": [vars(f) for f in fields] if fields else None,
                "message_id": envelope.message_id if envelope else None,
                "event_id": envelope.command.event_id if envelope else None,
                "notes": as_json(self.notes) or None,
                "idempotency_key": self.idempotency_key,
                "replay_of": self.replay_of,
                **self.kept,
            },
        )

    async def not_an_event(self, verdict: NotAnEvent) -> dict[str, Any]:
        """Record the verdict; the body of its 2xx answer."""
        self.notes = verdict.notes
        await self.record(verdict.status, verdict.reason_code, verdict.reason, verdict.fields)
        body: dict[str, Any] = {
            "status": verdict.status,
            "deliveryId": str(self.id),
            "reasonCode": verdict.reason_code,
            "reason": verdict.reason,
        }
        if verdict.fields:
            body["fields"] = [vars(f) for f in verdict.fields]
        if verdict.notes:
            body["notes"] = as_json(verdict.notes)
        return body


async def what_it_becomes(
    access: AccessReader, sender: Sender, integration: dict[str, Any], delivery: Delivery
) -> Becomes | NotAnEvent:
    """The command the delivery means, or why it means none."""
    result = verdict(sender, integration, delivery)
    if result.status == "ignored":
        return NotAnEvent("ignored", "ignored", str(result.reason))
    # Access is re-checked on every delivery, as on every API request.
    owner, channel = integration["account_id"], integration["channel_id"]
    if not await access.can_access_channel(owner, channel):
        reason = f"channel {channel} is no longer accessible to the owner"
        return NotAnEvent("invalid", "channel_forbidden", reason)
    if result.status == "invalid":
        reason_code, reason = str(result.reason_code), str(result.reason)
        return NotAnEvent("invalid", reason_code, reason, result.fields, result.notes)
    return Becomes(command_of(integration, result), result.notes)


def verify_delivery(
    sender: Sender, integration: dict[str, Any], signed: verify.SignedRequest
) -> None:
    """Passes with the current secret or, while a rotation's overlap lasts, the previous one;
    else raises the current secret's Unverified, which names the check that failed."""
    verifier = sender.verifier(integration["verification"])
    current, *previous = integration["secrets"]
    try:
        verifier(signed, current)
    except verify.Unverified:
        for secret in previous:
            try:
                verifier(signed, secret)
                return
            except verify.Unverified:
                pass
        raise


__all__ = ["command_of", "delivery_envelope", "idempotency_key"]
