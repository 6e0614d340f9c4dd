"""`POST /webhooks/{source}/{integrationId}`: verify, read, map, write to Kafka, answer.

The answer comes as soon as Kafka has the command (senders time out in seconds); the publisher
applies it like any API command, deduplicated by an idempotency key that is the sender's own or
derived from the document's id, version and action, never random. A delivery that cannot
become an event is still answered 2xx, so the sender does not retry it forever, and recorded
with its reason for the owner to read (`GET /api/developer/v1/integrations/{id}/deliveries`).
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any, Literal

from pydantic import Field, RootModel
from starlette.responses import JSONResponse, Response

from services.gateway.adapters.operations import operation_location
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.guard import count, ip_limit
from services.gateway.edge.operations import OpenOperation, Param
from services.gateway.edge.schemas import FieldProblem, MappingNote, ResponseModel
from services.gateway.errors import (
    MalformedRequest,
    NoWebhookEndpoint,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    WebhookUnverified,
)
from services.gateway.webhooks.deliveries import (
    DeliveryLog,
    NotAnEvent,
    delivery_envelope,
    verify_delivery,
    what_it_becomes,
)
from shared.adapters.rate_limits import Limit
from shared.domain.mapping.notes import as_json
from shared.domain.senders import SENDERS, Sender, UnreadableDelivery, bodies, verify
from shared.domain.senders.conversion import json_object, read_delivery, settings_of

WEBHOOK_PATH = "/webhooks/{source}/{integrationId}"


async def receive(request: GatewayRequest, gateway: Gateway) -> Response:
    sender, integration = await _active_integration(request, gateway)
    limit = gateway.settings.max_body_bytes
    sent = await _body(request, limit)
    raw = _decoded(request, sent, limit)
    log_entry = DeliveryLog(gateway.integrations, integration, request.state["exchange"].request_id)
    headers = _lower(request.headers)
    log_entry.keep(headers, request.url.query, raw)
    if sender.source == "wordpress" and _is_woocommerce_ping(headers, raw):
        await _count_failure(request, gateway)  # unauthenticated: it counts against the IP
        reason = "WooCommerce's ping when the webhook was saved: nothing to apply"
        await log_entry.record("ping", "ping", reason)
        answer = {"status": "ping", "deliveryId": str(log_entry.id), "reasonCode": "ping",
                  "reason": reason}  # fmt: skip
        return JSONResponse(answer)
    await _verified(request, gateway, log_entry, sender, raw, sent)
    try:
        body = json_object(raw)
        delivery = read_delivery(
            sender, settings_of(integration), headers, request.query_params, body
        )
    except UnreadableDelivery as exc:
        verdict = NotAnEvent("invalid", "unreadable", _unreadable(exc, headers))
        return JSONResponse(await log_entry.not_an_event(verdict))
    log_entry.read(delivery, raw)
    await _count_delivery(request, gateway, log_entry)
    becomes = await what_it_becomes(gateway.access, sender, integration, delivery)
    if isinstance(becomes, NotAnEvent):
        return JSONResponse(await log_entry.not_an_event(becomes))
    assert log_entry.idempotency_key is not None
    log_entry.notes = becomes.notes
    envelope = delivery_envelope(
        integration, becomes.command, log_entry.request_id, log_entry.idempotency_key
    )
    await gateway.writer.write_command(envelope)
    await log_entry.record("accepted", envelope=envelope)
    event_id = str(becomes.command.event_id)
    operation = gateway.operations.issue(envelope)
    body = {"status": "accepted", "deliveryId": str(log_entry.id), "eventId": event_id,
            "operationId": operation}  # fmt: skip
    if becomes.notes:
        body["notes"] = as_json(becomes.notes)
    headers = {"Operation-Location": operation_location(operation)}
    return JSONResponse(body, status_code=202, headers=headers)


def _decoded(request: GatewayRequest, sent: bytes, limit: int) -> bytes:
    """The body with its Content-Encoding (gzip, deflate) undone, up to `limit` decoded
    bytes (413 past it); another coding is 415."""
    try:
        return bodies.decoded(sent, request.headers.get("content-encoding"), limit)
    except bodies.BodyTooLarge:
        raise PayloadTooLarge("decoded delivery", limit) from None
    except bodies.UnsupportedEncoding as exc:
        raise UnsupportedMediaType(str(exc)) from None
    except zlib.error as exc:
        raise MalformedRequest(f"The body is not valid for its Content-Encoding: {exc}") from None


def _is_woocommerce_ping(headers: dict[str, str], raw: bytes) -> bool:
    """Exactly `webhook_id=<digits>` and no signature: anything else unsigned stays 401."""
    signed = "x-wc-webhook-signature" in headers or "x-wp-webhook-signature" in headers
    return not signed and bodies.is_woocommerce_ping(raw)


def _unreadable(exc: UnreadableDelivery, headers: dict[str, str]) -> str:
    content_type = headers.get("content-type")
    if bodies.is_json(content_type):
        return str(exc)
    return f"{exc} (sent as {content_type}; send application/json or a +json type)"


async def _active_integration(
    request: GatewayRequest, gateway: Gateway
) -> tuple[Sender, dict[str, Any]]:
    """The path's sender and its active integration; else NoWebhookEndpoint, counted
    against the client's IP."""
    source: str = request.path_params["source"]
    integration_id: uuid.UUID = request.path_params["integrationId"]
    sender = SENDERS.get(source)
    integration = (
        await gateway.access.integration(integration_id, gateway.integrations.for_intake)
        if sender
        else None
    )
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
    request: GatewayRequest,
    gateway: Gateway,
    log_entry: DeliveryLog,
    sender: Sender,
    raw: bytes,
    sent: bytes,
) -> None:
    """WebhookUnverified unless the delivery is the sender's own, recorded with the check
    that failed; past the IP's quota it is 429 instead, and no row is written. A compressed
    delivery's signature may be over the JSON (as senders sign it) or over the bytes sent."""
    try:
        try:
            verify_delivery(sender, log_entry.integration, _signed(request, raw))
        except verify.Unverified:
            if sent == raw:
                raise
            verify_delivery(sender, log_entry.integration, _signed(request, sent))
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
    """`operationId` (also the Operation-Location header) answers the command's fate with
    the owner's API key: `GET /api/public/v1/operations/{operationId}`."""

    status: Literal["accepted"]
    deliveryId: uuid.UUID
    eventId: uuid.UUID
    operationId: str
    notes: list[MappingNote] | None = None


class DeliveryRecorded(ResponseModel):
    status: Literal["ignored", "invalid", "ping"]
    deliveryId: uuid.UUID
    reasonCode: str = Field(
        description="Stable: validation_failed (see fields), unreadable (not a JSON object), "
        "ignored, channel_forbidden, ping; the deliveries log's reasonCode"
    )
    reason: str
    fields: list[FieldProblem] | None = None
    # What the mapping noted before it failed: a value map that left out every category
    # explains the classifications it made missing.
    notes: list[MappingNote] | None = None


OPERATION = OpenOperation(
    method="POST",
    path=WEBHOOK_PATH,
    operation_id="receiveWebhook",
    summary="A sender's delivery for one integration: verified, mapped and written durably",
    endpoint=receive,
    quota="endpoint",
    request=SenderDocument,
    responses={
        202: ("Durable in Kafka as the command it means; applied shortly", DeliveryAccepted),
        200: (
            "Recorded but no event: ignored, or invalid (see reason, fields); or WooCommerce's "
            "unsigned ping (`webhook_id=<n>` form body) when a webhook is saved",
            DeliveryRecorded,
        ),
    },
    errors=(400, 401, 404, 413, 415),
    response_headers={202: ("Operation-Location",)},
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
