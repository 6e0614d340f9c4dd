"""One webhook delivery, from verified bytes to a command durable in Kafka: whose it is, what
it becomes, under which idempotency key, and the row the owner reads back.

The idempotency key is the sender's own, or derived from the document's id, version and
action, never random: the same delivery sent again is deduplicated by the publisher.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.submission.envelopes import request_hash
from services.gateway.webhooks import verify
from services.gateway.webhooks.mapping import map_event
from services.gateway.webhooks.senders import Delivery, Sender, UnreadableDelivery
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    derive_event_id,
)
from shared.core.json_body import UndecodableJson, decode_json
from shared.core.metrics import WEBHOOK_DELIVERIES
from shared.domain.events import FieldError, InvalidEvent

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NotAnEvent:
    """A delivery that cannot become an event: still answered 2xx, so the sender does not
    retry it forever, and recorded with its reason for the owner to read."""

    status: Literal["ignored", "invalid"]
    reason_code: str
    reason: str
    fields: list[FieldError] | None = None


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
            },
        )

    async def not_an_event(self, verdict: NotAnEvent) -> dict[str, Any]:
        """Record the verdict; the body of its 2xx answer."""
        await self.record(verdict.status, verdict.reason_code, verdict.reason, verdict.fields)
        body: dict[str, Any] = {
            "status": verdict.status,
            "deliveryId": str(self.id),
            "reason": verdict.reason,
        }
        if verdict.fields:
            body["fields"] = [vars(f) for f in verdict.fields]
        return body


async def what_it_becomes(
    access: AccessReader, sender: Sender, integration: dict[str, Any], delivery: Delivery
) -> Command | NotAnEvent:
    """The command the delivery means, or why it means none."""
    action = sender.actions(integration["actions"]).get(delivery.action, "ignore")
    if delivery.skip_reason or action == "ignore":
        reason = delivery.skip_reason or f"action '{delivery.action}' is mapped to ignore"
        return NotAnEvent("ignored", "ignored", reason)
    # Access is re-checked on every delivery, as on every API request.
    owner, channel = integration["account_id"], integration["channel_id"]
    if not await access.can_access_channel(owner, channel):
        reason = f"channel {channel} is no longer accessible to the owner"
        return NotAnEvent("invalid", "channel_forbidden", reason)
    try:
        return delivery_command(sender, integration, delivery, action)
    except InvalidEvent as exc:
        return NotAnEvent("invalid", "validation_failed", summary(exc.errors), exc.errors)


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


def delivery_command(
    sender: Sender, integration: dict[str, Any], delivery: Delivery, action: str
) -> Command:
    owner, channel = integration["account_id"], integration["channel_id"]
    event_id = derive_event_id(owner, None, channel, delivery.document_id)
    if action == "unpublish":
        return ChangeStatus(event_id=event_id, action="unpublish")
    if action == "delete":
        return ChangeStatus(event_id=event_id, action="cancel")
    # The integration's mapping over the sender's, which may depend on the delivery's shape.
    mapping = {**sender.default_mapping(delivery), **integration["mapping"]}
    event = map_event(
        delivery, mapping, integration["defaults"], channel, _status(action, delivery, integration)
    )
    return CreateEvent(event_id=event_id, event=event)


def _status(action: str, delivery: Delivery, integration: dict[str, Any]) -> str:
    if action == "publish" or delivery.published is True:
        return "published"
    if delivery.published is False:
        return "draft"
    return str(integration["defaults"].get("status", "published"))


def delivery_envelope(
    integration: dict[str, Any],
    delivery: Delivery,
    command: Command,
    request_id: str,
    raw: bytes,
) -> IngestEnvelope:
    # The sender's own key where it sends one; else the document's identity and version, or
    # the body itself when the sender sends no version: the same delivery, the same key.
    version = delivery.updated_at or hashlib.sha256(raw).hexdigest()[:32]
    key = delivery.sender_key or f"{delivery.document_id}:{version}:{delivery.action}"
    payload = command.model_dump(mode="json", exclude={"event_id", "type"})
    return IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id=request_id,
        received_at=datetime.now(UTC),
        owner_id=integration["account_id"],
        integration_id=integration["id"],
        idempotency_key=f"webhook:{integration['id']}:{key}"[:255],
        request_hash=request_hash(command, payload),
        command=command,
        awaited_until=None,  # the sender is answered once Kafka has the command
    )


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = decode_json(raw)
    except UndecodableJson as exc:
        raise UnreadableDelivery(f"the body is not JSON this service accepts: {exc}") from None
    if not isinstance(body, dict):
        raise UnreadableDelivery("the body is not a JSON object")
    return body


def summary(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.path}: {e.message}" for e in errors)
