"""Developer API: an owner's webhook integrations and their recent deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    page_body,
    page_request,
    read_json,
    read_optional_json,
)
from services.gateway.edge.operations import KeyedEndpoint, Operation, Param
from services.gateway.edge.schemas import FieldProblem, MappingNote, PageFields, ResponseModel
from services.gateway.management import integrations as managed
from shared.adapters.integrations import (
    EventAction,
    IntegrationChange,
    IntegrationDefaults,
    IntegrationSpec,
    SecretRotation,
)
from shared.domain import senders
from shared.domain.api_keys import Scope
from shared.domain.mapping.settings import MappingSettings
from shared.domain.senders.conversion import can_replay

INTEGRATIONS_BASE = "/api/developer/v1/integrations"


class Integration(ResponseModel):
    id: uuid.UUID
    name: str
    source: str
    channelId: int
    verification: Literal["signature", "token"]
    mapping: dict[str, str] = Field(description="Effective: the sender's defaults and yours")
    mappingSettings: MappingSettings
    defaults: IntegrationDefaults
    actions: dict[str, EventAction] = Field(description="Effective sender action -> change")
    status: Literal["active", "disabled"]
    createdAt: datetime
    webhookPath: str = Field(description="Point the sender at this path on the gateway")
    previousSecretValidUntil: datetime | None = Field(
        description="After a rotation: until when the old secret is still accepted"
    )


class NewIntegration(Integration):
    secret: str = Field(description="Signing secret or token: shown this once")


class IntegrationPage(PageFields):
    docs: list[Integration]


class Delivery(ResponseModel):
    id: uuid.UUID
    requestId: str
    receivedAt: datetime
    senderAction: str | None
    documentId: str | None
    status: Literal[
        "accepted",
        "applied",
        "duplicate",
        "stale",
        "rejected",
        "ignored",
        "invalid",
        "unauthorized",
        "rate_limited",
        "ping",
    ]
    reasonCode: str | None
    reason: str | None
    fields: list[FieldProblem] | None
    eventId: uuid.UUID | None
    notes: list[MappingNote] | None = Field(
        description="What the mapping filled in, changed or left out without refusing: a "
        "value a value map left out, a price without a currency, an image described by the "
        "event's title"
    )
    replayOf: uuid.UUID | None = Field(description="The delivery this one replayed")
    replayable: bool = Field(
        description="Replay takes it: invalid, ignored or rejected, with its body kept"
    )
    bodyKept: bool = Field(description="Its body is kept: preview can use it")


class DeliveryPage(PageFields):
    docs: list[Delivery]


async def create_integration(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    payload = await read_json(request, gateway.settings.max_body_bytes)
    row, secret = await managed.create_integration(
        gateway.integrations, gateway.access, principal.owner_id, payload
    )
    location = f"{INTEGRATIONS_BASE}/{row['id']}"
    return _with_secret(row, secret, status_code=201, headers={"Location": location})


async def update_integration(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    payload = await read_json(request, gateway.settings.max_body_bytes)
    row = await managed.change_integration(
        gateway.integrations, gateway.access, principal.owner_id, _integration_id(request), payload
    )
    return JSONResponse(integration_view(row))


async def delete_integration(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    await gateway.integrations.delete(principal.owner_id, _integration_id(request))
    return Response(status_code=204)


async def rotate_integration_secret(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    payload = await read_optional_json(request, gateway.settings.max_body_bytes)
    row, secret = await managed.rotate_secret(
        gateway.integrations, principal.owner_id, _integration_id(request), payload
    )
    return _with_secret(row, secret)


async def list_integrations(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    page = page_request(request)
    rows, total = await gateway.integrations.page(principal.owner_id, page.limit, page.offset)
    return JSONResponse(page_body([integration_view(r) for r in rows], total, page))


async def get_integration(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    row = await gateway.integrations.get(principal.owner_id, _integration_id(request))
    return JSONResponse(integration_view(row))


async def list_deliveries(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    page = page_request(request)
    rows, total = await gateway.integrations.deliveries(
        principal.owner_id, _integration_id(request), page.limit, page.offset
    )
    return JSONResponse(page_body([delivery_view(r) for r in rows], total, page))


def set_status(status: str) -> KeyedEndpoint:
    async def endpoint(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
        row = await gateway.integrations.set_status(
            principal.owner_id, _integration_id(request), status
        )
        return JSONResponse(integration_view(row))

    return endpoint


def _with_secret(
    row: dict[str, Any], secret: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    # The secret must not sit in a shared cache or a browser's history of responses.
    return JSONResponse(
        {**integration_view(row), "secret": secret},
        status_code=status_code,
        headers={**(headers or {}), "Cache-Control": "no-store"},
    )


def integration_view(row: dict[str, Any]) -> dict[str, Any]:
    sender = senders.SENDERS[row["source"]]
    return Integration(
        id=row["id"],
        name=row["name"],
        source=row["source"],
        channelId=row["channel_id"],
        verification=row["verification"],
        mapping=managed.effective_mapping(row),
        mappingSettings=MappingSettings.model_validate(row["mapping_settings"]),
        defaults=IntegrationDefaults.model_validate(row["defaults"]),
        actions=sender.actions(row["actions"]),
        status=row["status"],
        createdAt=row["created_at"],
        webhookPath=managed.webhook_path(row),
        previousSecretValidUntil=row["previous_secret_until"],
    ).model_dump(mode="json")


def delivery_view(row: dict[str, Any]) -> dict[str, Any]:
    return Delivery(
        id=row["id"],
        requestId=row["request_id"],
        receivedAt=row["received_at"],
        senderAction=row["sender_action"],
        documentId=row["document_id"],
        status=row["status"],
        reasonCode=row["reason_code"],
        reason=row["reason"],
        fields=row["fields"],
        eventId=row["event_id"],
        notes=row["notes"],
        replayOf=row["replay_of"],
        replayable=can_replay(row["status"], row["body_kept"]),
        bodyKept=row["body_kept"],
    ).model_dump(mode="json")


def _integration_id(request: GatewayRequest) -> uuid.UUID:
    integration_id: uuid.UUID = request.path_params["integrationId"]
    return integration_id


_INTEGRATION_ID = Param(
    "integrationId", "path", {"type": "string", "format": "uuid"}, "Integration id"
)
_ONE = f"{INTEGRATIONS_BASE}/{{integrationId}}"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="POST",
        path=INTEGRATIONS_BASE,
        operation_id="createIntegration",
        summary="Connect a CMS, CRM or form tool: its webhooks become events in one channel",
        endpoint=create_integration,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=IntegrationSpec,
        responses={201: ("Created; store `secret` now", NewIntegration)},
        response_headers={201: ("Location", "Cache-Control")},
        errors=(400, 401, 403, 413, 415, 422, 429),
    ),
    Operation(
        method="GET",
        path=INTEGRATIONS_BASE,
        operation_id="listIntegrations",
        summary="This account's integrations (never a secret)",
        endpoint=list_integrations,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("A page of integrations", IntegrationPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        method="GET",
        path=_ONE,
        operation_id="getIntegration",
        summary="One integration with its effective mapping and actions",
        endpoint=get_integration,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("The integration", Integration)},
        errors=(401, 403, 404, 429),
        params=(_INTEGRATION_ID,),
    ),
    *(
        Operation(
            method="POST",
            path=f"{_ONE}/{verb}",
            operation_id=f"{verb}Integration",
            summary=summary,
            endpoint=set_status(status),
            scope=Scope.INTEGRATIONS_MANAGE,
            quota=KEY_MANAGEMENT,
            responses={200: ("The integration", Integration)},
            errors=(401, 403, 404, 429),
            params=(_INTEGRATION_ID,),
        )
        for verb, status, summary in (
            ("disable", "disabled", "Pause: its webhook answers 404 and nothing reaches Kafka"),
            ("enable", "active", "Resume a paused integration"),
        )
    ),
    Operation(
        method="PATCH",
        path=_ONE,
        operation_id="updateIntegration",
        summary="Change its name, channel, mapping, defaults or actions; the URL and secret stay",
        endpoint=update_integration,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=IntegrationChange,
        responses={200: ("The integration as changed", Integration)},
        errors=(400, 401, 403, 404, 413, 415, 422, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        method="DELETE",
        path=_ONE,
        operation_id="deleteIntegration",
        summary="Remove it: its webhook answers 404 and its deliveries log goes; its events stay",
        endpoint=delete_integration,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={204: ("Deleted", None)},
        errors=(401, 403, 404, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        method="POST",
        path=f"{_ONE}/rotate-secret",
        operation_id="rotateIntegrationSecret",
        summary="A new secret, shown once; the old one is still accepted for `overlapSeconds`",
        endpoint=rotate_integration_secret,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=SecretRotation,
        request_required=False,
        responses={200: ("Rotated; store `secret` now", NewIntegration)},
        response_headers={200: ("Cache-Control",)},
        errors=(400, 401, 403, 404, 413, 415, 422, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        method="GET",
        path=f"{_ONE}/deliveries",
        operation_id="listDeliveries",
        summary="Recent deliveries, newest first: applied, duplicate, stale, ignored, invalid "
        "(with the fields to fix), unauthorized (with the check that failed) or rate_limited "
        "(over the integration's quota: the sender must send it again)",
        endpoint=list_deliveries,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("A page of deliveries", DeliveryPage)},
        errors=(400, 401, 403, 404, 429),
        params=(_INTEGRATION_ID, *PAGE_PARAMS),
    ),
)
