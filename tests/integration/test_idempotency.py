"""Idempotency-Key: retries, including concurrent ones, never store an event twice."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import httpx

from devstack.stack import ServiceProcess
from services.gateway.adapters.claims import InFlight
from services.gateway.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from tests.integration.conftest import MakeTenant, Tenant, eventually, rows_of

EVENTS = "/api/public/v1/events"

Looks = tuple[asyncio.Event, asyncio.Event]  # each racing request's: it has claimed or lost


async def test_same_key_twice_gives_one_row_and_the_same_id(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "cms-post-123-create"}
    first = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert first.status_code in (201, 202), first.text
    await eventually(lambda: rows_of(db, tenant))
    second = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert await rows_of(db, tenant) == 1


async def test_concurrent_retries_store_one_row_and_get_409_while_in_flight(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "nightly-import-row-77"}
    responses = await asyncio.gather(
        *(api.post(EVENTS, json=tenant.event(), headers=headers) for _ in range(10))
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 201, 202, 409}, [r.text for r in responses]
    accepted = [r for r in responses if r.status_code < 300]
    assert accepted, statuses
    assert len({r.json()["id"] for r in accepted}) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["error"]["code"] == "idempotency_key_in_use"
        assert refused.headers["retry-after"] == "1"
    await eventually(lambda: rows_of(db, tenant))
    await asyncio.sleep(0.5)  # let any straggling duplicate command reach the publisher
    assert await rows_of(db, tenant) == 1
    assert statuses.count(201) <= 1
    retried = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert (retried.status_code, retried.json()["id"]) == (200, accepted[0].json()["id"])


async def test_retry_while_the_first_is_in_flight_is_409_and_another_body_422(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool, services: dict[str, ServiceProcess]
) -> None:
    # With the publisher stopped, the first request holds its key for the whole outcome wait.
    headers = {**tenant.headers, "Idempotency-Key": "slow-first"}
    services["publisher"].kill()
    try:
        first = asyncio.create_task(api.post(EVENTS, json=tenant.event(), headers=headers))
        await eventually(
            lambda: db.fetchval(
                "SELECT 1 FROM idempotency_inflight"
                " WHERE owner_account_id = $1 AND idempotency_key = 'slow-first'",
                tenant.account_id,
            ),
            within=4,
            interval=0.02,
        )
        refused = await api.post(EVENTS, json=tenant.event(), headers=headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "idempotency_key_in_use"
        assert refused.headers["retry-after"] == "1"
        # Another body under the key can never succeed: 422 now, not "retry later".
        other = await api.post(EVENTS, json=tenant.event(title="Other"), headers=headers)
        assert other.status_code == 422, other.text
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert (await first).status_code == 202
    finally:
        services["publisher"].start()
    await eventually(lambda: rows_of(db, tenant))
    assert await rows_of(db, tenant) == 1


async def test_quoted_and_bare_key_are_the_same_key(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    bare = await api.post(
        EVENTS, json=tenant.event(), headers={**tenant.headers, "Idempotency-Key": "abc-1"}
    )
    await eventually(lambda: rows_of(db, tenant))
    quoted = await api.post(
        EVENTS, json=tenant.event(), headers={**tenant.headers, "Idempotency-Key": '"abc-1"'}
    )
    assert quoted.json()["id"] == bare.json()["id"]
    assert await rows_of(db, tenant) == 1


async def test_same_key_different_body_is_422(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "reused-key"}
    await api.post(EVENTS, json=tenant.event(), headers=headers)
    await eventually(lambda: rows_of(db, tenant))
    response = await api.post(EVENTS, json=tenant.event(title="Another event"), headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert await rows_of(db, tenant) == 1


async def test_keys_are_scoped_per_owner(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    other = await make_tenant()
    key = {"Idempotency-Key": "shared-looking-key"}
    mine = await api.post(EVENTS, json=tenant.event(), headers={**tenant.headers, **key})
    theirs = await api.post(EVENTS, json=other.event(), headers={**other.headers, **key})
    assert mine.json()["id"] != theirs.json()["id"]
    await eventually(lambda: rows_of(db, other))
    assert await rows_of(db, tenant) == 1


async def test_overlong_key_is_400_naming_the_header(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        EVENTS, json=tenant.event(), headers={**tenant.headers, "Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["path"] == "Idempotency-Key"


async def test_a_key_outside_ascii_is_400_whichever_bytes_the_client_sent(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    # `ü` as curl and Node send it (UTF-8) and as Python's http.client does (Latin-1).
    for raw in ("sheet-Zürich-row-4".encode(), "sheet-Zürich-row-4".encode("latin-1")):
        headers = [*tenant.headers.items(), (b"Idempotency-Key", raw)]
        response = await api.post(EVENTS, json=tenant.event(), headers=headers)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["fields"][0]["path"]) == (
            "invalid_idempotency_key", "Idempotency-Key",
        )  # fmt: skip
        assert "percent-encode" in error["message"]
    assert await rows_of(db, tenant) == 0


async def test_a_key_sent_twice_is_400_not_one_of_them_taken(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    headers = [*tenant.headers.items(), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    response = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["fields"][0]["message"]) == (
        "invalid_idempotency_key", "sent more than once",
    )  # fmt: skip
    assert await rows_of(db, tenant) == 0


async def test_another_body_racing_for_a_key_on_another_gateway_is_422(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """Two gateways claim the same key at about the same moment with different bodies: the
    loser reads the winner's fingerprint and answers 422, never a "retry later" 409 (its
    statement may have begun before the winner's claim was committed)."""
    gateways = (InFlight(db, ttl_seconds=30), InFlight(db, ttl_seconds=30))

    async def claim(
        gateway: InFlight, key: str, body_hash: str, delay: float, looks: Looks, mine: int
    ) -> str:
        await asyncio.sleep(delay)
        try:
            async with gateway.claim(tenant.account_id, key, body_hash):
                looks[mine].set()
                # Holds the key until the other request has looked, however late that is (on
                # a busy box the other's statement, or the pool connection it waits for, came
                # after a 100 ms hold): a key let go first is rightly claimed again.
                await looks[1 - mine].wait()
                return "claimed"
        except IdempotencyKeyReused:
            return "reused"
        except IdempotencyKeyInUse:
            return "in use"
        finally:
            looks[mine].set()

    answers = []
    for n in range(150):  # the second arrives 0 to 3 ms after the first: the race's window
        key, delay = f"race-{n}", (n % 30) / 10_000
        looks = (asyncio.Event(), asyncio.Event())
        pair = await asyncio.gather(
            claim(gateways[0], key, "body-a", 0, looks, 0),
            claim(gateways[1], key, "body-b", delay, looks, 1),
        )
        answers.append(sorted(pair))
    assert all(pair == ["claimed", "reused"] for pair in answers), answers


async def test_the_answer_does_not_wait_for_its_claim_to_be_released(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """A request's claim is released after it is answered, with the others of that moment:
    a release the database holds up (a row lock here) holds up no answer, and `drain`
    (shutdown) finishes the release."""
    claims = InFlight(db, ttl_seconds=30)
    owner, key = tenant.account_id, "released-after-the-answer"
    held = "SELECT 1 FROM idempotency_inflight WHERE owner_account_id = $1 AND idempotency_key = $2"

    async def answered_while_the_row_is_locked() -> None:
        async with db.acquire() as blocker, blocker.transaction():
            async with claims.claim(owner, key, "body"):
                await blocker.execute(f"{held} FOR UPDATE", owner, key)
            # Out of the block (the request answered) with the row still locked: had the
            # block waited for its DELETE, it would wait for this transaction: a deadlock.
            assert await db.fetchval(held, owner, key) == 1

    await asyncio.wait_for(answered_while_the_row_is_locked(), timeout=30)
    await claims.drain()
    assert await db.fetchval(held, owner, key) is None


async def test_a_release_after_its_claim_expired_leaves_the_next_holder_alone(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """A gateway stalled past its claim's TTL, a retry on another gateway took the key: the
    first one's late release must not end the retry's claim."""
    stalled, other = InFlight(db, ttl_seconds=30), InFlight(db, ttl_seconds=30)
    owner, key = tenant.account_id, "expired-then-claimed-again"
    held = "SELECT 1 FROM idempotency_inflight WHERE owner_account_id = $1 AND idempotency_key = $2"
    async with contextlib.AsyncExitStack() as retry:
        async with stalled.claim(owner, key, "body"):
            await db.execute(
                "UPDATE idempotency_inflight SET expires_at = clock_timestamp() - interval '1 s'"
                " WHERE owner_account_id = $1 AND idempotency_key = $2",
                owner,
                key,
            )
            await retry.enter_async_context(other.claim(owner, key, "body"))
        await stalled.drain()  # the stalled gateway's release, after the retry's claim
        assert await db.fetchval(held, owner, key) == 1
    await other.drain()
    assert await db.fetchval(held, owner, key) is None
