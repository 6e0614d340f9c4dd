"""The OpenAPI 3.1 document, generated from the operations table and the pydantic models the
code validates with, so the published contract cannot drift from the behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

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


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query", "path" or "header"
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """One route's contract: the table routes and the document are both built from."""

    method: str
    path: str
    operation_id: str
    summary: str
    scope: str | None
    request: type[BaseModel] | None = None
    request_required: bool = True
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    params: tuple[Param, ...] = ()
    response_headers: dict[int, dict[str, Any]] = field(default_factory=dict)


def openapi_document(
    operations: Sequence[Operation],
    error_model: type[BaseModel],
    title: str,
    description: str,
) -> dict[str, Any]:
    models = _models(operations, error_model)
    _, definitions = models_json_schema(
        [(m, "validation" if _is_request(m, operations) else "serialization") for m in models],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, error_model)
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


def _models(operations: Sequence[Operation], error_model: type[BaseModel]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {error_model.__name__: error_model}
    for op in operations:
        if op.request is not None:
            found[op.request.__name__] = op.request
        for _, model in op.responses.values():
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _is_request(model: type[BaseModel], operations: Sequence[Operation]) -> bool:
    return any(op.request is model for op in operations)


def _operation(op: Operation, error_model: type[BaseModel]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "parameters": [_param(p) for p in op.params],
        "responses": {
            **{
                str(code): _response(op, code, desc, model)
                for code, (desc, model) in op.responses.items()
            },
            **{str(code): _error(code, error_model) for code in op.errors},
        },
    }
    if op.scope is not None:
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
    op: Operation, code: int, description: str, model: type[BaseModel] | None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": {"$ref": _ref(model)}}}
    headers = {**(_RATE_LIMIT_HEADERS if op.scope else {}), **op.response_headers.get(code, {})}
    if headers:
        response["headers"] = headers
    return response


def _error(code: int, error_model: type[BaseModel]) -> dict[str, Any]:
    return {
        "description": _ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": _ref(error_model)}}},
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
