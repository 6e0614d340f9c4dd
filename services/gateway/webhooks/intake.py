"""`POST /webhooks/{source}/{integrationId}`: verify, read, map, write to Kafka, answer.

The answer comes as soon as Kafka has the command (senders time out in seconds); the publisher
applies it like any API command, deduplicated by an idempotency key that is the sender's own or
derived from the document's id, version and action, never random. A delivery that cannot
become an event is still answered 2xx, so the sender does not retry it forever, and recorded
with its reason for the owner to read (`GET /api/developer/v1/integrations/{id}/deliveries`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from starlette.responses import JSONResponse, Response

from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.guard import count, ip_limit
from services.gateway.edge.operations import OpenOperation, Param
from services.gateway.errors import (
    NoWebhookEndpoint,
    PayloadTooLarge,
    RateLimited,
    WebhookUnverified,
)
from services.gateway.submission.envelopes import request_hash
from services.gateway.webhooks import verify
from services.gateway.webhooks.mapping import map_event
from services.gateway.webhooks.senders import SENDERS, Delivery, Sender, UnreadableDelivery
from shared.adapters.rate_limits import Limit
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    derive_event_id,
)
from shared.core.metrics import WEBHOOK_DELIVERIES
from shared.domain.events import FieldError, InvalidEvent

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/webhooks/{source}/{integrationId}"


async def receive(request: GatewayRequest, gateway: Gateway) -> Response:
    source: str = request.path_params["source"]
    integration_id: uuid.UUID = request.path_params["integrationId"]
    sender = SENDERS.get(source)
    integration = await gateway.integrations.for_intake(integration_id) if sender else None
    if sender is None or integration is None or integration["source"] != source:
        await _count_failure(request, gateway)
        raise NoWebhookEndpoint(
            f"No webhook endpoint {request.url.path}; check the integration's URL."
        )
    if integration["status"] != "active":
        await _count_failure(request, gateway)
        raise NoWebhookEndpoint("This integration is disabled.")
    raw = await _body(request, gateway.settings.max_body_bytes)
    log_entry = _DeliveryLog(
        gateway.integrations, integration, request.state["exchange"].request_id
    )
    try:
        _verify(sender, integration, _signed(request, raw))
    except verify.Unverified as exc:
        await _count_failure(request, gateway)  # past the IP's quota: 429, and no row is written
        await log_entry.record("unauthorized", "unverified", str(exc))
        raise WebhookUnverified() from None
    try:
        delivery = sender.read(_lower(request.headers), request.query_params, _json_object(raw))
    except UnreadableDelivery as exc:
        return await log_entry.answer("invalid", "unreadable", str(exc))
    log_entry.delivery = delivery
    await _count_delivery(request, gateway, log_entry)
    action = {**sender.default_actions, **integration["actions"]}.get(delivery.action, "ignore")
    if delivery.skip_reason or action == "ignore":
        reason = delivery.skip_reason or f"action '{delivery.action}' is mapped to ignore"
        return await log_entry.answer("ignored", "ignored", reason)
    # Access is re-checked on every delivery, as on every API request.
    if not await gateway.access.can_access_channel(
        integration["account_id"], integration["channel_id"]
    ):
        reason = f"channel {integration['channel_id']} is no longer accessible to the owner"
        return await log_entry.answer("invalid", "channel_forbidden", reason)
    try:
        command = _command(sender, integration, delivery, action)
    except InvalidEvent as exc:
        return await log_entry.answer(
            "invalid", "validation_failed", _summary(exc.errors), exc.errors
        )
    envelope = _envelope(integration, delivery, command, log_entry.request_id, raw)
    await gateway.writer.write_command(envelope)
    log_entry.accepted(envelope)
    await log_entry.record("accepted")
    return JSONResponse(
        {"status": "accepted", "deliveryId": str(log_entry.id), "eventId": str(command.event_id)},
        status_code=202,
    )


async def _count_failure(request: GatewayRequest, gateway: Gateway) -> None:
    """A delivery to an unknown or disabled integration, or one that fails verification,
    counts against the client's IP, as a failed API authentication does: a flood of forged
    deliveries is refused before each costs a database row. Verified deliveries never count
    against the IP: hosted senders deliver for many customers from a few addresses."""
    await count(request, gateway, [ip_limit(request, gateway)])


async def _count_delivery(
    request: GatewayRequest, gateway: Gateway, log_entry: _DeliveryLog
) -> None:
    settings = gateway.settings.rate_limits
    quota = Limit("webhook", str(log_entry.integration["id"]), settings.webhook_per_integration)
    try:
        await count(request, gateway, [quota])
    except RateLimited:
        reason = (
            f"over the integration's quota of {settings.webhook_per_integration} deliveries per "
            f"{settings.window_seconds} s; the sender must send this document again"
        )
        await log_entry.record("rate_limited", "rate_limited", reason)
        raise


class _DeliveryLog:
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
        self.message_id: uuid.UUID | None = None
        self.event_id: uuid.UUID | None = None

    def accepted(self, envelope: IngestEnvelope) -> None:
        self.message_id = envelope.message_id
        self.event_id = envelope.command.event_id

    async def record(
        self,
        status: str,
        reason_code: str | None = None,
        reason: str | None = None,
        fields: list[FieldError] | None = None,
    ) -> None:
        WEBHOOK_DELIVERIES.labels(self.integration["source"], status).inc()
        log.info(
            "webhook delivery",
            integration_id=str(self.integration["id"]),
            source=self.integration["source"],
            status=status,
            reason_code=reason_code,
            document_id=self.delivery.document_id if self.delivery else None,
        )
        await self.store.record_delivery(
            {
                "id": self.id,
                "integration_id": self.integration["id"],
                "request_id": self.request_id,
                "sender_action": self.delivery.action if self.delivery else None,
                "document_id": self.delivery.document_id if self.delivery else None,
                "status": status,
                "reason_code": reason_code,
                "reason": reason,
                "fields": [vars(f) for f in fields] if fields else None,
                "message_id": self.message_id,
                "event_id": self.event_id,
            },
        )

    async def answer(
        self,
        status: str,
        reason_code: str,
        reason: str,
        fields: list[FieldError] | None = None,
    ) -> Response:
        await self.record(status, reason_code, reason, fields)
        body: dict[str, Any] = {"status": status, "deliveryId": str(self.id), "reason": reason}
        if fields:
            body["fields"] = [vars(f) for f in fields]
        return JSONResponse(body, status_code=200)


def _verify(sender: Sender, integration: dict[str, Any], signed: verify.SignedRequest) -> None:
    """Passes with the current secret or, while a rotation's overlap lasts, the previous one;
    else raises the current secret's Unverified, which names the check that failed."""
    verifier: verify.Verifier = verify.static_token
    if integration["verification"] == "signature" and sender.signature is not None:
        verifier = sender.signature
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


def _command(
    sender: Sender, integration: dict[str, Any], delivery: Delivery, action: str
) -> Command:
    owner, channel = integration["account_id"], integration["channel_id"]
    event_id = derive_event_id(owner, None, channel, delivery.document_id)
    if action == "unpublish":
        return ChangeStatus(event_id=event_id, action="unpublish")
    if action == "delete":
        return ChangeStatus(event_id=event_id, action="cancel")
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


def _envelope(
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


async def _body(request: GatewayRequest, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge("delivery", max_bytes)
    return bytes(body)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableDelivery(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise UnreadableDelivery("the body is not a JSON object")
    return body


def _signed(request: GatewayRequest, raw: bytes) -> verify.SignedRequest:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return verify.SignedRequest(request.method, path, _lower(request.headers), raw)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _summary(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.path}: {e.message}" for e in errors)


OPERATION = OpenOperation(
    method="POST",
    path=WEBHOOK_PATH,
    operation_id="receiveWebhook",
    summary="A sender's delivery for one integration: verified, mapped and written durably",
    endpoint=receive,
    params=(
        Param("source", "path", {"type": "string"}, "The integration's sender"),
        Param("integrationId", "path", {"type": "string", "format": "uuid"}, "Integration id"),
    ),
)
