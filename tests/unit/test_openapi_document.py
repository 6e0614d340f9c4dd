"""What the served documents promise, checked on the documents themselves: every answer's
headers and statuses, and request schemas that generators read as the API means them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.gateway.app import PUBLIC_ROWS
from services.gateway.developer_api import routes as developer_api
from services.gateway.edge.openapi import openapi_document

DOCUMENTS = {
    "public": openapi_document(PUBLIC_ROWS, "public", "d"),
    "developer": openapi_document(developer_api.OPERATIONS, "developer", "d"),
}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            yield f"{method.upper()} {path}", spec


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_answer_documents_its_request_id_and_keyed_ones_their_quotas(name: str) -> None:
    for operation, spec in operations(DOCUMENTS[name]):
        keyed = "security" in spec
        for status, response in spec["responses"].items():
            headers = set(response["headers"])
            assert "X-Request-Id" in headers, (operation, status)
            if keyed:
                assert {"RateLimit", "RateLimit-Policy"} <= headers, (operation, status)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (operation, status)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_operations_with_a_body_document_the_body_refusals(name: str) -> None:
    for operation, spec in operations(DOCUMENTS[name]):
        if "requestBody" in spec:
            assert {"408", "413"} <= set(spec["responses"]), operation


def test_writes_document_where_to_read_and_replays() -> None:
    paths = DOCUMENTS["public"]["paths"]
    create = paths["/api/public/v1/events"]["post"]["responses"]
    assert "Location" in create["201"]["headers"]
    assert "Idempotent-Replayed" in create["200"]["headers"]
    assert "Retry-After" in create["409"]["headers"]  # an Idempotency-Key still in use
    webhook = paths["/webhooks/{source}/{integrationId}"]["post"]
    assert {"200", "202", "401", "404", "429"} <= set(webhook["responses"])


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_property_a_request_may_leave_out_carries_a_default(name: str) -> None:
    document = DOCUMENTS[name]
    schemas = document["components"]["schemas"]
    requests = [
        spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for _, spec in operations(document)
        if "requestBody" in spec
    ]
    for schema in requests:
        for field, prop in schemas[schema].get("properties", {}).items():
            assert "default" not in prop, (schema, field)
