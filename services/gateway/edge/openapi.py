"""The OpenAPI 3.1 document, generated from the operations table's rows and the pydantic
models the code validates with, so the published contract cannot drift from the behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.gateway.edge.operations import Operation, Param, Row
from services.gateway.edge.schemas import ErrorEnvelope

API_VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"

_ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, header or query parameter",
    401: "Missing, malformed, unknown, revoked, disabled or expired API key",
    403: "The key lacks the route's scope, or the channel is not accessible",
    404: "Not found, or not accessible to this key's owner",
    409: "Conflict: a stale update (older sourceUpdatedAt) or a cancelled event",
    413: "Body larger than the limit",
    415: "Body is not application/json",
    422: "Validation failed; `fields` names each field to fix",
    429: "Rate limit reached; honour Retry-After",
    503: "The event log (Kafka) is unavailable; retry after Retry-After",
}

_RATE_LIMIT_HEADERS = {
    "RateLimit": {"schema": {"type": "string"}, "description": "The tightest policy's state"},
    "RateLimit-Policy": {"schema": {"type": "string"}, "description": "Quotas that apply"},
}


def openapi_document(rows: Sequence[Row], title: str, description: str) -> dict[str, Any]:
    models = _models(rows)
    _, definitions = models_json_schema(
        [(m, "validation" if _is_request(m, rows) else "serialization") for m in models],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for row in rows:
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(row)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": API_VERSION,
            "description": description,
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "pe_<mode>_..."}
            },
        },
    }


def _models(rows: Sequence[Row]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {ErrorEnvelope.__name__: ErrorEnvelope}
    for op in rows:
        if op.request is not None:
            found[op.request.__name__] = op.request
        for _, model in op.responses.values():
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _is_request(model: type[BaseModel], rows: Sequence[Row]) -> bool:
    return any(row.request is model for row in rows)


def _operation(op: Row) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "parameters": [_param(p) for p in op.params],
        "responses": {
            **{
                str(code): _response(op, code, desc, model)
                for code, (desc, model) in op.responses.items()
            },
            **{str(code): _error(code) for code in op.errors},
        },
    }
    if isinstance(op, Operation):
        spec["security"] = [{"bearerAuth": []}]
        spec["description"] = f"Requires scope `{op.scope}`."
        spec["x-required-scope"] = str(op.scope)
    if op.request is not None:
        spec["requestBody"] = {
            "required": op.request_required,
            "content": {"application/json": {"schema": {"$ref": _ref(op.request)}}},
        }
    return spec


def _response(
    op: Row, code: int, description: str, model: type[BaseModel] | None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": {"$ref": _ref(model)}}}
    keyed = _RATE_LIMIT_HEADERS if isinstance(op, Operation) else {}
    headers = {**keyed, **op.response_headers.get(code, {})}
    if headers:
        response["headers"] = headers
    return response


def _error(code: int) -> dict[str, Any]:
    return {
        "description": _ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": _ref(ErrorEnvelope)}}},
    }


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required or param.location == "path",
        "description": param.description,
        "schema": param.schema,
    }


def _ref(model: type[BaseModel]) -> str:
    return _REF.format(model=model.__name__)
