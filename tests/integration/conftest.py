"""The real stack for the integration suite: started once per session, stopped at the end.

Kafka and PostgreSQL are real servers (local processes, or those named by
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL); the three services run as real processes. Each
test makes its own account, channel and key, so tests never need a global clean-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.stack import SERVICES, TEST, Servers, ServiceProcess, servers, service_env, shifted
from shared.adapters import key_store
from shared.adapters.postgres import connect
from shared.domain.api_keys import OWNER_SCOPES, PUBLIC_SCOPES, Scope
from tests.examples import docs_example
from tests.integration.portal_support import Owner, signed_in_owner

ALL_SCOPES = PUBLIC_SCOPES
SCHEDULER_CLOCK_FILE = TEST.base_dir / "scheduler-clock"
# Small batches so a crash test finds the publisher mid-backlog; limits out of the way of
# tests that send a lot (the rate-limit test runs gateways of its own with small limits).
SERVICES_TEST_ENV = {
    # A shared CI box is overloaded by other suites at times, and admission control then
    # rightly answers 503 overloaded where a test expects 202; test_overload.py runs a
    # gateway with it on, and unit tests cover the gate.
    "GATEWAY_ADMISSION_ENABLED": "false",
    "PUBLISHER_BATCH_MAX_RECORDS": "25",
    "GATEWAY_OUTCOME_WAIT_SECONDS": "5",
    "GATEWAY_LAG_INTERVAL_SECONDS": "1",
    "RATE_LIMIT_PER_IP": "100000000",
    "RATE_LIMIT_PER_KEY": "100000000",
    "RATE_LIMIT_EVENTS_CREATE_PER_KEY": "100000000",
    "RATE_LIMIT_KEY_MANAGEMENT_PER_OWNER": "100000000",
    "RATE_LIMIT_PORTAL_PREVIEWS_PER_OWNER": "100000000",
    "RATE_LIMIT_WEBHOOK_PER_INTEGRATION": "100000000",
    "DISCOVERY_RATE_LIMIT_PER_IP": "100000000",
    "DISCOVERY_LAG_INTERVAL_SECONDS": "1",
    "PEOPLE_SIGNIN_PER_IP": "100000000",
    "PORTAL_SIGNIN_PER_IP": "100000000",
    # Tests move the scheduler's clock by writing this file (scheduler_clock fixture).
    "SCHEDULER_CLOCK_FILE": str(SCHEDULER_CLOCK_FILE),
    "SCHEDULER_POLL_SECONDS": "0.2",
}


@pytest.fixture(scope="session")
def stack() -> Iterator[Servers]:
    with servers(TEST) as started:
        yield started


@pytest.fixture(scope="session")
def services(stack: Servers) -> Iterator[dict[str, ServiceProcess]]:
    log_dir = TEST.base_dir / "logs"
    discovery = f"http://127.0.0.1:{TEST.service_ports['discovery']}"
    env = service_env(
        stack, {**SERVICES_TEST_ENV, "LOG_LEVEL": "INFO", "GATEWAY_DISCOVERY_URL": discovery}
    )
    started: dict[str, ServiceProcess] = {}
    try:
        for name in SERVICES:
            started[name] = ServiceProcess(name, TEST.service_ports[name], env, log_dir)
            started[name].start()
        yield started
    finally:
        for process in started.values():
            process.stop()


@pytest.fixture
def scheduler_clock(services: dict[str, ServiceProcess]) -> Iterator[Path]:
    """The stack's scheduler clock file; the system clock again after the test."""
    yield SCHEDULER_CLOCK_FILE
    SCHEDULER_CLOCK_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="session")
async def db(stack: Servers) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=5)
    yield pool
    await pool.close()


@pytest.fixture
async def api(services: dict[str, ServiceProcess]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=services["gateway"].url, timeout=30) as client:
        yield client


@pytest.fixture
async def discovery(services: dict[str, ServiceProcess]) -> AsyncIterator[httpx.AsyncClient]:
    """The public side: pages, feeds and the discovery API (no key)."""
    async with httpx.AsyncClient(base_url=services["discovery"].url, timeout=30) as client:
        yield client


_names = itertools.count()


@dataclass(frozen=True)
class Tenant:
    """An account with its own channel and a key; `headers` authenticate as that key."""

    account_id: int
    channel_id: int
    key: str
    owner_key: str  # scopes keys:manage, integrations:manage, audit:read (developer API)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def owner_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner_key}"}

    def event(self, **changes: Any) -> dict[str, Any]:
        return docs_example(self.channel_id, **changes)


async def rows_of(db: asyncpg.Pool, tenant: Tenant) -> int:
    """How many events the tenant's account has stored."""
    count = await db.fetchval(
        "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    return int(count)


MakeTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture
async def make_tenant(db: asyncpg.Pool) -> MakeTenant:
    async def make(scopes: tuple[Scope, ...] = ALL_SCOPES) -> Tenant:
        name = f"test-{uuid.uuid4().hex[:8]}-{next(_names)}"
        async with db.acquire() as conn:
            account_id = await conn.fetchval(
                "INSERT INTO accounts (name) VALUES ($1) RETURNING id", name
            )
            channel_id = await conn.fetchval(
                "INSERT INTO channels (owner_account_id, name) VALUES ($1, $2) RETURNING id",
                account_id,
                f"{name} channel",
            )
            issued = await key_store.issue(conn, account_id, name, scopes, actor="tests")
            owner = await key_store.issue(conn, account_id, name, OWNER_SCOPES, actor="tests")
        return Tenant(account_id, channel_id, issued.token, owner.token)

    return make


@pytest.fixture
async def tenant(make_tenant: MakeTenant) -> Tenant:
    return await make_tenant()


async def eventually(
    probe: Callable[[], Awaitable[Any]], within: float = 20.0, interval: float = 0.1
) -> Any:
    """Poll until `probe` returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + within
    value = await probe()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = await probe()
    assert value, f"condition not met within {within}s (last value: {value!r})"
    return value


async def listed_routes(
    client: httpx.AsyncClient, base: str, documentation: str
) -> list[tuple[dict[str, str], httpx.Response | None]]:
    """What `GET base` lists, each endpoint with the answer to requesting it as listed (its
    method, no body, no session), or None where its path takes parameters."""
    index = await client.get(base)
    assert index.status_code == 200, index.text
    assert index.json()["documentation"] == documentation
    assert index.json()["authentication"]
    listed: list[tuple[dict[str, str], httpx.Response | None]] = []
    for endpoint in index.json()["endpoints"]:
        method, path = endpoint["method"], endpoint["path"]
        listed.append((endpoint, None if "{" in path else await client.request(method, path)))
    return listed


# GATEWAY_ACCESS_CACHE_SECONDS's default, which the test gateways keep: a change to a key or a
# channel membership reaches a gateway by announcement, at the latest when its entry expires.
ACCESS_BOUND_SECONDS = 2.0


async def answer_after_access_change(
    send: Callable[[], Awaitable[httpx.Response]], *statuses: int
) -> httpx.Response:
    """The first answer with one of `statuses`, asking again until the revocation bound."""
    deadline = time.monotonic() + ACCESS_BOUND_SECONDS + 0.5
    response = await send()
    while response.status_code not in statuses and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        response = await send()
    return response


def sample(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def scrape(service: ServiceProcess) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(f"{service.url}/metrics")).text


# Small quotas for the gateways of `two_gateways`, which tests of rate limiting use.
KEY_QUOTA = 6
CREATE_QUOTA = 2
KEY_MANAGEMENT_QUOTA = 3
PORTAL_PREVIEW_QUOTA = 6


@contextlib.contextmanager
def gateways(stack: Servers, quotas: dict[str, str], ports: tuple[int, ...]) -> Iterator[list[str]]:
    """Gateways of their own with these RATE_LIMIT_ settings, counting in the shared table;
    an hour-long window, so no window boundary falls inside a test."""
    limits = {
        "RATE_LIMIT_WINDOW_SECONDS": "3600",
        "RATE_LIMIT_PER_IP": "100000000",
        "GATEWAY_OUTCOME_WAIT_SECONDS": "0",
        **quotas,
    }
    with own_gateways(stack, limits, ports, "limits") as urls:
        yield urls


@contextlib.contextmanager
def own_gateways(
    stack: Servers, settings: dict[str, str], ports: tuple[int, ...], label: str
) -> Iterator[list[str]]:
    """Gateway processes of a test's own on `ports`, with `settings` over the stack's."""
    env = service_env(stack, {"GATEWAY_ADMISSION_ENABLED": "false", **settings})
    started = [
        ServiceProcess("gateway", port, env, TEST.base_dir / "logs" / f"{label}-{port}")
        for port in ports
    ]
    try:
        for gateway in started:  # side by side: each spends most of its start waiting
            gateway.start(wait=False)
        for gateway in started:
            gateway.wait_ready()
        yield [g.url for g in started]
    finally:
        for gateway in started:
            gateway.stop()


@pytest.fixture(scope="module")  # each test counts a tenant of its own: they share the pair
def two_gateways(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[list[str]]:
    quotas = {
        "RATE_LIMIT_PER_KEY": str(KEY_QUOTA),
        "RATE_LIMIT_EVENTS_CREATE_PER_KEY": str(CREATE_QUOTA),
        "RATE_LIMIT_KEY_MANAGEMENT_PER_OWNER": str(KEY_MANAGEMENT_QUOTA),
        "RATE_LIMIT_PORTAL_PREVIEWS_PER_OWNER": str(PORTAL_PREVIEW_QUOTA),
    }
    with gateways(stack, quotas, (shifted(18091), shifted(18098))) as urls:
        yield urls


@pytest.fixture
async def browser(services: dict[str, ServiceProcess]) -> AsyncIterator[httpx.AsyncClient]:
    """The developer portal's visitor: a client that keeps cookies and does not follow
    redirects, to see each answer."""
    async with httpx.AsyncClient(base_url=services["gateway"].url, timeout=30) as client:
        yield client


@pytest.fixture
async def owner(browser: httpx.AsyncClient, stack: Servers) -> Owner:
    """A new account's owner, signed in to the portal as `browser` and set up."""
    return await signed_in_owner(browser, stack.database_url)


@pytest.fixture
async def conn(stack: Servers) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the suite's database with the jsonb codecs of the services' pools."""
    connection = await connect(stack.database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def rolled_back(conn: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """`conn` inside a transaction that is rolled back after the test: what the test writes
    (tens of thousands of rows for a plan, say) no other test ever sees."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        yield conn
    finally:
        await transaction.rollback()
