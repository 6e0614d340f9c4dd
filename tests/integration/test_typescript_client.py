"""TypeScript types generated from both served OpenAPI documents (openapi-typescript, with its
defaults, as an integrator would run it) accept the docs' request examples under
`tsc --strict`, and refuse a body that lacks a required field."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.stack import ServiceProcess
from tests.examples import RICH, docs_example

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"
DOCUMENTS = {
    "public": "/api/developer/openapi/public-api-v1",
    "developer": "/api/developer/openapi/developer-api-v1",
}

PRELUDE = """\
import type { paths as Public } from "./public";
import type { paths as Developer } from "./developer";

type JsonBody<Op> = Op extends { requestBody?: infer R }
  ? NonNullable<R> extends { content: { "application/json": infer B } } ? B : never
  : never;
type JsonAnswer<Op, Status extends number> = Op extends {
  responses: { [S in Status]: { content: { "application/json": infer B } } };
} ? B : never;
"""

CREATE_EVENT = 'Public["/api/public/v1/events"]["post"]'
CREATE_KEY = 'Developer["/api/developer/v1/keys"]["post"]'

# The docs' request examples: the README's and the seeds' create-event body, the README's
# key management and integration bodies, a batch item and a PATCH as the API reference shows.
EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "createEvent": (CREATE_EVENT, docs_example(42)),
    "createRichDraft": (CREATE_EVENT, docs_example(42, **RICH, sourceId="cms-7", status="draft")),
    "createBatch": (
        'Public["/api/public/v1/events/batch"]["post"]',
        {"events": [{"idempotencyKey": "feed-1:create", **docs_example(42)}]},
    ),
    "patchEvent": (
        'Public["/api/public/v1/events/{eventId}"]["patch"]',
        {"title": "API Launch Workshop (room 2)", "sourceUpdatedAt": "2026-05-02T10:00:00Z"},
    ),
    "createKey": (CREATE_KEY, {"name": "CMS sync", "scopes": ["channels:read", "events:create"]}),
    "createQuickstartKey": (CREATE_KEY, {"name": "Quickstart"}),
    "rotateKey": (
        'Developer["/api/developer/v1/keys/{keyId}/rotate"]["post"]',
        {"overlapSeconds": 3600},
    ),
    "revokeKey": (
        'Developer["/api/developer/v1/keys/{keyId}/revoke"]["post"]',
        {"reason": "leaked in CI log"},
    ),
    "createIntegration": (
        'Developer["/api/developer/v1/integrations"]["post"]',
        {
            "name": "Strapi site",
            "source": "strapi",
            "channelId": 42,
            "mapping": {"title": "entry.name", "startAt": "entry.starts"},
            "defaults": {
                "timezone": "America/New_York",
                "classifications": ["music"],
                "city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"},
            },
            "actions": {"entry.update": "update"},
        },
    ),
}

_files = itertools.count()


@pytest.fixture(scope="module")
def typed(services: dict[str, ServiceProcess], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with public.ts and developer.ts generated from the served documents."""
    workdir = tmp_path_factory.mktemp("typescript")
    for name, path in DOCUMENTS.items():
        document = workdir / f"{name}.yaml"
        document.write_text(httpx.get(services["gateway"].url + path, timeout=10).text)
        generated = subprocess.run(
            [str(BIN / "openapi-typescript"), str(document), "-o", str(workdir / f"{name}.ts")],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert generated.returncode == 0, generated.stdout + generated.stderr
    return workdir


def type_check(workdir: Path, body: str) -> subprocess.CompletedProcess[str]:
    source = workdir / f"examples_{next(_files)}.ts"
    source.write_text(PRELUDE + body)
    return subprocess.run(
        [str(BIN / "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
         "--moduleResolution", "bundler", str(source)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_docs_request_examples_type_check_against_both_documents(typed: Path) -> None:
    lines = [
        f"export const {name}: JsonBody<{operation}> = {json.dumps(body)};"
        for name, (operation, body) in EXAMPLES.items()
    ]
    event_id = "0b9d3c4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
    accepted = {
        "id": event_id,
        "state": "accepted",
        "location": f"/api/public/v1/events/{event_id}",
        "operationId": "op_AQ",
        "operation": "/api/public/v1/operations/op_AQ",
    }
    lines.append(
        f"export const accepted: JsonAnswer<{CREATE_EVENT}, 202> = {json.dumps(accepted)};"
    )
    checked = type_check(typed, "\n".join(lines) + "\n")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("operation", "body", "missing"),
    [
        (CREATE_EVENT, {k: v for k, v in docs_example(42).items() if k != "approxLocation"},
         "approxLocation"),
        (CREATE_KEY, {"scopes": ["events:create"]}, "name"),
    ],
    ids=["event-without-approxLocation", "key-without-name"],
)  # fmt: skip
def test_a_body_missing_a_required_field_is_refused(
    typed: Path, operation: str, body: dict[str, Any], missing: str
) -> None:
    checked = type_check(
        typed, f"export const refused: JsonBody<{operation}> = {json.dumps(body)};\n"
    )
    assert checked.returncode != 0
    assert "TS2741" in checked.stdout, checked.stdout
    assert f"'{missing}'" in checked.stdout, checked.stdout
