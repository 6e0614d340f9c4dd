"""The OpenAPI 3.1 document, generated from the operations table's rows and the pydantic
models the code validates with, so the published contract cannot drift from the behaviour.

Two rules keep the document a good source of generated clients: every status and header an
operation can answer is listed (the edge's own ones are implied by the row: a keyed route can
answer 401, 403, 429 and 503 and carries the RateLimit headers; a route with a body can answer
400, 408, 413, 415 and 422), and request schemas carry no `default`. Generators such as
openapi-typescript make a property with a default required, which would refuse the very
bodies the docs show; the default is stated in the property's description instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.gateway.edge.operations import OpenOperation, Operation, Param, Row
from services.gateway.edge.schemas import ErrorEnvelope

API_VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"

_ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, header or query parameter",
    401: "Missing, malformed, unknown, revoked, disabled or expired API key (or, for a "
    "webhook, an unverified delivery)",
    403: "The key lacks the route's scope, or the channel is not accessible",
    404: "Not found, or not accessible to this key's owner",
    408: "The body did not arrive within the body timeout; send it in one go",
    409: "Conflicts with the current state: a stale update (older sourceUpdatedAt), a "
    "cancelled event, a key already in that state, a channel slug already taken, or an "
    "Idempotency-Key still in use (honour Retry-After)",
    413: "Body larger than the limit",
    415: "Body is not application/json",
    422: "Validation failed; `fields` names each field to fix",
    429: "Rate limit reached; honour Retry-After",
    503: "The event log (Kafka) or the database is unavailable or saturated "
    "(`service_unavailable`), or, on a write, the gateway is over capacity and refused it "
    "before doing any of it (`overloaded`); retry with the same Idempotency-Key after "
    "Retry-After",
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "This request's id (yours, if you sent a valid X-Request-Id): quote it "
        "when asking about a request; the audit log is searchable by it",
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "The tightest quota's state: remaining requests and seconds to reset",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "Every quota this request counted in",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Location": {"description": "Where to read the resource", "schema": {"type": "string"}},
    "Operation-Location": {
        "description": "The operation resource that answers the accepted command's fate: "
        "accepted, then applied or rejected",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "Present on the stored result of an earlier request with the same "
        "Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Cache-Control": {
        "description": "no-store: the answer holds a secret",
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with",
        "schema": {"type": "string"},
    },
}

_REQUEST_ID_PARAM = Param(
    "X-Request-Id",
    "header",
    {"type": "string"},
    "Your own id for this request, echoed in the answer's X-Request-Id: 8 to 128 of "
    "A-Z a-z 0-9 . _ : - (any other value is ignored, and one is made as when none is sent)",
)
_KEYED = (401, 403, 429, 503)
_JSON_BODY = (400, 408, 413, 415, 422)
_COUNTED = (429, 503)
_RAW_BODY = (408, 413)  # a body the route reads as it comes, whatever it is


def openapi_document(rows: Sequence[Row], title: str, description: str) -> dict[str, Any]:
    models = _models(rows)
    requests = {row.request for row in rows if row.request is not None}
    _, definitions = models_json_schema(
        [(m, "validation" if m in requests else "serialization") for m in models],
        ref_template=_REF,
    )
    schemas = definitions.get("$defs", {})
    for name in _reachable(schemas, [m.__name__ for m in requests]):
        _without_defaults(schemas[name])
    paths: dict[str, dict[str, Any]] = {}
    for row in rows:
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(row)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": API_VERSION, "description": description},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _security_schemes(rows)},
    }


def statuses(row: Row) -> list[int]:
    """Every status the row's route can answer: its own, and those the edge implies."""
    if isinstance(row, Operation):
        implied = (*_KEYED, *(_JSON_BODY if row.request else ()))
    else:
        implied = (
            *(_COUNTED if row.quota is not None else ()),
            *(_RAW_BODY if row.request else ()),
            *((401,) if row.security else ()),
        )
    return sorted({*row.responses, *row.errors, *implied})


def _operation(row: Row) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": row.operation_id,
        "summary": row.summary,
        "parameters": [_param(p) for p in (*row.params, _REQUEST_ID_PARAM)],
        "responses": {str(code): _response(row, code) for code in statuses(row)},
    }
    if isinstance(row, Operation):
        spec["security"] = [{"bearerAuth": []}]
        spec["description"] = "Requires scope " + " or ".join(f"`{s}`" for s in row.scopes) + "."
        spec["x-required-scope"] = str(row.scope)
        if row.also_scopes:
            spec["x-accepted-scopes"] = [str(s) for s in row.scopes]
    elif row.security:
        # {}: a sender that signs its deliveries needs none of the schemes.
        spec["security"] = [{}, *({name: []} for name in row.security)]
        spec["description"] = row.description
    if row.request is not None:
        spec["requestBody"] = {
            "required": row.request_required,
            "content": {"application/json": {"schema": {"$ref": _ref(row.request)}}},
        }
    return spec


def _response(row: Row, code: int) -> dict[str, Any]:
    if code in row.responses:
        description, model = row.responses[code]
    else:
        description, model = _ERROR_DESCRIPTIONS[code], ErrorEnvelope
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": {"$ref": _ref(model)}}}
    response["headers"] = {name: HEADERS[name] for name in _headers(row, code)}
    return response


def _headers(row: Row, code: int) -> Iterator[str]:
    yield "X-Request-Id"
    if _counted(row):
        yield from ("RateLimit", "RateLimit-Policy")
    idempotent = any(p.name == "Idempotency-Key" for p in row.params)
    if code in (429, 503) or (code == 409 and idempotent):
        yield "Retry-After"
    if code == 401 and isinstance(row, Operation):
        yield "WWW-Authenticate"
    yield from row.response_headers.get(code, ())


def _counted(row: Row) -> bool:
    return isinstance(row, Operation) or row.quota is not None


def _security_schemes(rows: Sequence[Row]) -> dict[str, Any]:
    schemes: dict[str, Any] = {}
    if any(isinstance(row, Operation) for row in rows):
        schemes["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pe_<mode>_...",
        }
    for row in rows:
        if isinstance(row, OpenOperation):
            schemes.update(row.security)
    return schemes


def _models(rows: Sequence[Row]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {ErrorEnvelope.__name__: ErrorEnvelope}
    for row in rows:
        if row.request is not None:
            found[row.request.__name__] = row.request
        for _, model in row.responses.values():
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _reachable(schemas: dict[str, Any], roots: list[str]) -> set[str]:
    """The schemas `roots` name, and every schema those refer to."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        text = json.dumps(schemas[name])
        todo.extend(ref.split('"')[0] for ref in text.split('"$ref": "#/components/schemas/')[1:])
    return seen


def _without_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        if "default" not in prop:
            continue
        default = prop.pop("default")
        if default is not None:
            said = prop.get("description", "").rstrip(".")
            prop["description"] = (f"{said}. " if said else "") + f"Default: {json.dumps(default)}."


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
