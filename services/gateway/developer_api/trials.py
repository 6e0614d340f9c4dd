"""Developer API: preview a delivery through an integration's current mapping, and replay a
refused one after fixing it (services/gateway/webhooks/trial.py does both)."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import read_json
from services.gateway.edge.operations import Operation, Param
from services.gateway.edge.schemas import FieldProblem, MappingNote, ResponseModel
from services.gateway.errors import InvalidInput
from services.gateway.webhooks import trial
from shared.domain.api_keys import Scope
from shared.domain.events import field_errors

_ONE = "/api/developer/v1/integrations/{integrationId}"


class PreviewRequest(BaseModel):
    """A sample delivery (`body`, with the sender's `headers` and the webhook URL's `query`)
    or the id of a recorded one (`deliveryId`)."""

    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict, max_length=100)
    body: str | dict[str, Any] | None = Field(
        default=None, description="The raw body as sent (a string), or its JSON object"
    )
    query: str = Field(default="", max_length=2000, description="e.g. action=post_update")
    deliveryId: uuid.UUID | None = Field(default=None, description="A recorded delivery")

    @model_validator(mode="after")
    def _one_source(self) -> PreviewRequest:
        if (self.body is None) == (self.deliveryId is None):
            raise ValueError("send either body (with headers) or deliveryId")
        return self


class Preview(ResponseModel):
    status: Literal["accepted", "ignored", "invalid"]
    action: str | None = None
    documentId: str | None = None
    change: Literal["upsert", "unpublish", "cancel"] | None = None
    event: dict[str, Any] | None = Field(default=None, description="The event as it would be")
    notes: list[MappingNote] | None = None
    reasonCode: str | None = None
    reason: str | None = None
    fields: list[FieldProblem] | None = Field(
        default=None, description="Each field's problem, naming the sender path it came from"
    )


class Replayed(ResponseModel):
    status: Literal["accepted", "ignored", "invalid"]
    deliveryId: uuid.UUID = Field(description="The replay's own row in the deliveries log")
    replayOf: uuid.UUID
    eventId: uuid.UUID | None = None
    notes: list[MappingNote] | None = None
    reasonCode: str | None = None
    reason: str | None = None
    fields: list[FieldProblem] | None = None


async def preview_delivery(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    payload = await read_json(request, gateway.settings.max_body_bytes)
    try:
        asked = PreviewRequest.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
    sample = None
    if asked.body is not None:
        raw = asked.body if isinstance(asked.body, str) else json.dumps(asked.body)
        # A lone surrogate stays undecodable, so the preview says the body is not JSON.
        sample = trial.Sample(asked.headers, raw.encode("utf-8", "surrogatepass"), asked.query)
    answer = await trial.preview(
        gateway.integrations, principal.owner_id, _integration_id(request), sample, asked.deliveryId
    )
    return JSONResponse(answer)


async def replay_delivery(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    answer = await trial.replay(
        gateway.integrations,
        gateway.access,
        gateway.writer,
        principal.owner_id,
        _integration_id(request),
        request.path_params["deliveryId"],
        request.state["exchange"].request_id,
    )
    return JSONResponse(answer, status_code=202 if answer["status"] == "accepted" else 200)


def _integration_id(request: GatewayRequest) -> uuid.UUID:
    integration_id: uuid.UUID = request.path_params["integrationId"]
    return integration_id


_UUID = {"type": "string", "format": "uuid"}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="POST",
        path=f"{_ONE}/preview",
        operation_id="previewDelivery",
        summary="The event a delivery would become under the current mapping, or the field "
        "errors with their sender paths; writes nothing, sends nothing to Kafka",
        endpoint=preview_delivery,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=PreviewRequest,
        responses={200: ("What the delivery would do", Preview)},
        errors=(401, 403, 404, 409, 413, 415, 422, 429),
        params=(Param("integrationId", "path", _UUID, "Integration id"),),
    ),
    Operation(
        method="POST",
        path=f"{_ONE}/deliveries/{{deliveryId}}/replay",
        operation_id="replayDelivery",
        summary="Run an invalid, ignored or rejected delivery through the current mapping, "
        "under its original idempotency key (a replay twice applies once)",
        endpoint=replay_delivery,
        scope=Scope.INTEGRATIONS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={
            202: ("Durable in Kafka; applied shortly (see the deliveries log)", Replayed),
            200: ("Still no event: ignored or invalid (see reason, fields)", Replayed),
        },
        errors=(401, 403, 404, 409, 429),
        params=(
            Param("integrationId", "path", _UUID, "Integration id"),
            Param("deliveryId", "path", _UUID, "A delivery in its log"),
        ),
    ),
)
