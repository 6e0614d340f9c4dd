"""`GET /operations/{operationId}`: the fate of an accepted command, in the style of the
long-running-operation resources of the Microsoft and Google API guidelines.

A 202 names the operation (`Operation-Location`, `operation` in the body; a batch's accepted
items too). It answers `accepted` (durable in Kafka, not applied yet: poll after
`Retry-After`), then for good either `applied` (with `result` and the event as stored now) or
`rejected` (with the error a waiting caller would have got: stable code, message, fields).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.errors import (
    GatewayError,
    OperationExpired,
    OperationNotFound,
    StaleUpdate,
)
from services.gateway.submission.submitter import refusal_of
from shared.contracts.event_view import event_view
from shared.contracts.operations import OperationRef
from shared.contracts.topics import INGEST_RETENTION
from shared.domain.field_errors import FieldError

POLL_AFTER_SECONDS = 1
_APPLIED = ("created", "updated", "duplicate")


async def get_operation(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    operation_id: str = request.path_params["operationId"]
    ref = gateway.operations.read(operation_id)
    if ref is None or ref.owner_id != principal.owner_id:
        raise OperationNotFound()
    fate = await gateway.operations.fate(ref)
    if fate is None and ref.accepted_at < datetime.now(UTC) - INGEST_RETENTION:
        # Past the ingest topic's retention a command is no longer waiting to be applied: it
        # was, and its record is past the outcomes' retention (PUBLISHER_OUTCOME_RETENTION_DAYS).
        raise OperationExpired()
    view = _view(operation_id, ref, fate)
    if fate is None:
        return JSONResponse(view, headers={"Retry-After": str(POLL_AFTER_SECONDS)})
    if view["status"] == "applied":
        row = await gateway.events.event(principal.owner_id, ref.event_id)
        view["event"] = event_view(row) if row is not None else None
    return JSONResponse(view)


def _view(operation_id: str, ref: OperationRef, fate: dict[str, Any] | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": operation_id,
        "kind": ref.kind,
        "status": "accepted",
        "eventId": str(ref.event_id),
        "acceptedAt": ref.accepted_at.isoformat(),
        "decidedAt": None,
    }
    if fate is None:
        return view
    view["decidedAt"] = fate["decided_at"].isoformat()
    if fate["status"] in _APPLIED:
        return {**view, "status": "applied", "result": fate["status"]}
    return {**view, "status": "rejected", "error": _error(fate)}


def _error(fate: dict[str, Any]) -> dict[str, Any]:
    refusal: GatewayError = StaleUpdate()
    if fate["status"] == "rejected":
        fields = [FieldError(**f) for f in fate["fields"] or ()]
        refusal = refusal_of(fate["reason_code"], fate["reason"], fields)
    error: dict[str, Any] = {"code": refusal.code, "message": refusal.message}
    if refusal.fields:
        error["fields"] = [
            {"path": f.path, "code": f.code, "message": f.message} for f in refusal.fields
        ]
    return error
