"""A Python client generated from the served OpenAPI document (openapi-python-client), used as
an integrator would: it creates an event, reads it back, and surfaces errors as the envelope."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from devstack.stack import ServiceProcess
from tests.examples import docs_example
from tests.integration.conftest import Tenant

OPENAPI = "/api/developer/openapi/public-api-v1"
PACKAGE = "pinned_public_client"


@pytest.fixture(scope="module")
def generated(services: dict[str, ServiceProcess], tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[ModuleType]:  # fmt: skip
    workdir = tmp_path_factory.mktemp("client")
    document = workdir / "public-api-v1.yaml"
    document.write_text(httpx.get(services["gateway"].url + OPENAPI, timeout=10).text)
    config = workdir / "config.yaml"
    config.write_text("post_hooks: []\n")  # the generated code is imported, not linted
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [str(generator), "generate", "--path", str(document), "--meta", "none",
         "--config", str(config), "--output-path", str(workdir / PACKAGE)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_creates_and_reads_an_event(
    generated: ModuleType, services: dict[str, ServiceProcess], tenant: Tenant
) -> None:
    models = _module("models")
    create_event = _module("api.default.create_event")
    get_event = _module("api.default.get_event")
    list_channels = _module("api.default.list_channels")
    url = services["gateway"].url
    with generated.AuthenticatedClient(base_url=url, token=tenant.key) as client:
        channels = list_channels.sync(client=client)
        assert [c.id for c in channels.docs] == [tenant.channel_id]

        body = models.EventInput.from_dict(docs_example(tenant.channel_id, title="From a client"))
        created = create_event.sync_detailed(client=client, body=body, idempotency_key="client-1")
        assert created.status_code == 201, created.content
        event = created.parsed
        assert isinstance(event, models.EventView)
        assert (event.title, event.channel_id) == ("From a client", tenant.channel_id)

        read = get_event.sync(event.id, client=client)
        assert isinstance(read, models.EventView)
        assert (read.id, read.timezone) == (event.id, "America/New_York")

        again = create_event.sync_detailed(client=client, body=body, idempotency_key="client-1")
        assert again.status_code == 200
        assert again.headers["idempotent-replayed"] == "true"


def test_generated_client_reads_the_error_envelope(
    generated: ModuleType, services: dict[str, ServiceProcess], tenant: Tenant
) -> None:
    models = _module("models")
    create_event = _module("api.default.create_event")
    body = models.EventInput.from_dict(docs_example(tenant.channel_id, timezone="Mars/Olympus"))
    url = services["gateway"].url
    with generated.AuthenticatedClient(base_url=url, token=tenant.key) as client:
        refused = create_event.sync_detailed(client=client, body=body)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.ErrorEnvelope)
    assert refused.parsed.error.code == "validation_failed"
    assert [f.path for f in refused.parsed.error.fields] == ["timezone"]
