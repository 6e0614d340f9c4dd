"""Webhook quotas: forged deliveries count against the sender's IP and stop costing rows once it
is used up; verified ones never count against the IP (hosted senders share addresses) but
against their integration's quota, and a refused one is recorded for the owner."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from tests.integration.conftest import Tenant, eventually, gateways
from tests.integration.test_webhooks import T1, connect, deliveries, stored
from tests.webhook_senders import SENDER_CASES, new_document_id

PORT = shifted(18096)
IP_QUOTA = 5
INTEGRATION_QUOTA = 3
GENERIC = next(c for c in SENDER_CASES if c.source == "generic")


@pytest.fixture
def limited_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    quotas = {
        "RATE_LIMIT_PER_IP": str(IP_QUOTA),
        "RATE_LIMIT_WEBHOOK_PER_INTEGRATION": str(INTEGRATION_QUOTA),
    }
    with gateways(stack, quotas, (PORT,)) as urls:
        yield urls[0]


@pytest.fixture
async def sender(limited_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address of its own on the loopback network: its IP bucket is fresh."""
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=limited_gateway, transport=transport) as client:
        yield client


async def test_forged_deliveries_stop_costing_rows_once_the_ip_quota_is_used(
    api: httpx.AsyncClient, sender: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, GENERIC)
    path = integration["webhookPath"]
    forged = GENERIC.build("create", new_document_id(GENERIC), "Forged", T1, "wrong-secret", path)
    answers = []
    for n in range(8):
        # A client that is not a trusted proxy cannot dodge its quota by naming another client.
        spoofed = {**forged[0], "X-Forwarded-For": f"203.0.113.{n}"}
        answers.append(await sender.post(path, content=forged[1], headers=spoofed))
    assert [a.status_code for a in answers] == [401] * IP_QUOTA + [429] * (8 - IP_QUOTA)
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["ratelimit-policy"].startswith('"ip"')
    logged = await deliveries(api, tenant, integration["id"])
    assert [d["status"] for d in logged] == ["unauthorized"] * IP_QUOTA

    unknown = await sender.post(f"/webhooks/generic/{uuid.uuid4()}", content=b"{}")
    assert unknown.status_code == 429  # guessing integration URLs counts the same way


async def test_verified_deliveries_count_against_their_integration_not_the_ip(
    api: httpx.AsyncClient, sender: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, GENERIC)
    path, secret = integration["webhookPath"], integration["secret"]
    forged = GENERIC.build("create", new_document_id(GENERIC), "Forged", T1, "wrong", path)
    for _ in range(IP_QUOTA):  # use up this address's quota first
        await sender.post(path, content=forged[1], headers=forged[0])
    assert (await sender.post(path, content=forged[1], headers=forged[0])).status_code == 429

    documents = [new_document_id(GENERIC) for _ in range(INTEGRATION_QUOTA + 1)]
    answers = []
    for doc in documents:
        headers, body = GENERIC.build("create", doc, f"Concert {doc}", T1, secret, path)
        answers.append(await sender.post(path, content=body, headers=headers))
    assert [a.status_code for a in answers] == [202] * INTEGRATION_QUOTA + [429]
    assert answers[0].headers["ratelimit"].startswith('"webhook";r=2;')
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "retry-after" in refused.headers

    async def all_accepted_stored() -> bool:
        return all([await stored(db, tenant, doc) is not None for doc in documents[:-1]])

    await eventually(all_accepted_stored)
    assert await stored(db, tenant, documents[-1]) is None
    logged = {d["documentId"]: d for d in await deliveries(api, tenant, integration["id"])}
    assert logged[documents[-1]]["status"] == "rate_limited"
    assert "send this document again" in logged[documents[-1]]["reason"]
