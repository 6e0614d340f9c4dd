"""`POST /webhooks/{source}/{integrationId}`: verify, read, map, write to Kafka, answer.

The answer comes as soon as Kafka has the command (senders time out in seconds); the publisher
applies it like any API command, deduplicated by an idempotency key that is the sender's own or
derived from the document's id, version and action, never random. A delivery that cannot
become an event is still answered 2xx, so the sender does not retry it forever, and recorded
with its reason for the owner to read (`GET /api/developer/v1/integrations/{id}/deliveries`).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import RootModel
from starlette.responses import JSONResponse, Response

from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.guard import count, ip_limit
from services.gateway.edge.operations import OpenOperation, Param
from services.gateway.edge.schemas import FieldProblem, ResponseModel
from services.gateway.errors import (
    NoWebhookEndpoint,
    PayloadTooLarge,
    RateLimited,
    WebhookUnverified,
)
from services.gateway.webhooks import verify
from services.gateway.webhooks.deliveries import (
    DeliveryLog,
    NotAnEvent,
    delivery_envelope,
    json_object,
    verify_delivery,
    what_it_becomes,
)
from services.gateway.webhooks.senders import SENDERS, Sender, UnreadableDelivery
from shared.adapters.rate_limits import Limit

WEBHOOK_PATH = "/webhooks/{source}/{integrationId}"


async def receive(request: GatewayRequest, gateway: Gateway) -> Response:
    sender, integration = await _active_integration(request, gateway)
    raw = await _body(request, gateway.settings.max_body_bytes)
    log_entry = DeliveryLog(gateway.integrations, integration, request.state["exchange"].request_id)
    await _verified(request, gateway, log_entry, sender, raw)
    try:
        delivery = sender.read(_lower(request.headers), request.query_params, json_object(raw))
    except UnreadableDelivery as exc:
        verdict = NotAnEvent("invalid", "unreadable", str(exc))
        return JSONResponse(await log_entry.not_an_event(verdict))
    log_entry.delivery = delivery
    await _count_delivery(request, gateway, log_entry)
    command = await what_it_becomes(gateway.access, sender, integration, delivery)
    if isinstance(command, NotAnEvent):
        return JSONResponse(await log_entry.not_an_event(command))
    envelope = delivery_envelope(integration, delivery, command, log_entry.request_id, raw)
    await gateway.writer.write_command(envelope)
    await log_entry.record("accepted", envelope=envelope)
    body = {"status": "accepted", "deliveryId": str(log_entry.id), "eventId": str(command.event_id)}
    return JSONResponse(body, status_code=202)


async def _active_integration(
    request: GatewayRequest, gateway: Gateway
) -> tuple[Sender, dict[str, Any]]:
    """The path's sender and its active integration; else NoWebhookEndpoint, counted
    against the client's IP."""
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
    return sender, integration


async def _verified(
    request: GatewayRequest, gateway: Gateway, log_entry: DeliveryLog, sender: Sender, raw: bytes
) -> None:
    """WebhookUnverified unless the delivery is the sender's own, recorded with the check
    that failed; past the IP's quota it is 429 instead, and no row is written."""
    try:
        verify_delivery(sender, log_entry.integration, _signed(request, raw))
    except verify.Unverified as exc:
        await _count_failure(request, gateway)
        await log_entry.record("unauthorized", "unverified", str(exc))
        raise WebhookUnverified() from None


async def _count_failure(request: GatewayRequest, gateway: Gateway) -> None:
    """A delivery to an unknown or disabled integration, or one that fails verification,
    counts against the client's IP, as a failed API authentication does: a flood of forged
    deliveries is refused before each costs a database row. Verified deliveries never count
    against the IP: hosted senders deliver for many customers from a few addresses."""
    await count(request, gateway, [ip_limit(request, gateway)])


async def _count_delivery(
    request: GatewayRequest, gateway: Gateway, log_entry: DeliveryLog
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


async def _body(request: GatewayRequest, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge("delivery", max_bytes)
    return bytes(body)


def _signed(request: GatewayRequest, raw: bytes) -> verify.SignedRequest:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return verify.SignedRequest(request.method, path, _lower(request.headers), raw)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class SenderDocument(RootModel[dict[str, Any]]):
    """The sender's own JSON, as it sends it (see the integration's source)."""


class DeliveryAccepted(ResponseModel):
    status: Literal["accepted"]
    deliveryId: uuid.UUID
    eventId: uuid.UUID


class DeliveryRecorded(ResponseModel):
    status: Literal["ignored", "invalid"]
    deliveryId: uuid.UUID
    reason: str
    fields: list[FieldProblem] | None = None


OPERATION = OpenOperation(
    method="POST",
    path=WEBHOOK_PATH,
    operation_id="receiveWebhook",
    summary="A sender's delivery for one integration: verified, mapped and written durably",
    endpoint=receive,
    counted=True,
    request=SenderDocument,
    responses={
        202: ("Durable in Kafka as the command it means; applied shortly", DeliveryAccepted),
        200: ("Recorded but no event: ignored, or invalid (see reason, fields)", DeliveryRecorded),
    },
    errors=(401, 404),
    params=(
        Param("source", "path", {"type": "string", "enum": sorted(SENDERS)}, "The sender"),
        Param("integrationId", "path", {"type": "string", "format": "uuid"}, "Integration id"),
    ),
    security={
        "webhookToken": {"type": "apiKey", "in": "header", "name": "X-Webhook-Token"},
        "webhookBearer": {"type": "http", "scheme": "bearer"},
    },
    description=(
        "Point the sender at the integration's `webhookPath`. Senders that sign (WordPress, "
        "Sanity, Contentful, Webflow, Standard Webhooks) are verified by their own signature "
        "headers over the raw body, with a 5-minute replay window where they sign a "
        "timestamp; the others send the integration's token as `X-Webhook-Token` or a Bearer "
        "token. Failed deliveries count against the client's IP, verified ones against the "
        "integration's quota."
    ),
)
