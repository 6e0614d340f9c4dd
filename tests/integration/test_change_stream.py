"""The change stream: every change the publisher applies reaches the compacted topic, keyed
by event id, in apply order, with the event's whole state; a crash between the database
commit and the relay, or between the relay's send and its clean-up, loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest

from devstack.stack import TEST, Servers, ServiceProcess
from services.publisher.relay import RELAY_LOCK_ID, ChangeRelay
from shared.adapters.kafka import topic_configs
from shared.adapters.postgres import create_pool
from shared.contracts.topics import TOPIC_SPECS, Topic
from shared.core.settings import DatabaseSettings, KafkaSettings
from tests.integration.change_stream import changes_of
from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import EVENTS, create_event, event_action

BACKLOG = 60  # commands; with 25-command batches the failpoint fires inside the backlog


def test_the_change_topic_is_compacted() -> None:
    spec = next(s for s in TOPIC_SPECS if s.topic == Topic.EVENT_CHANGES)
    configs = topic_configs(spec, KafkaSettings())
    assert configs["cleanup.policy"] == "compact"
    assert "retention.ms" not in configs


async def test_every_applied_change_reaches_the_stream_in_apply_order(
    api: httpx.AsyncClient, tenant: Tenant, stack: Servers
) -> None:
    event_id = await create_event(api, tenant, title="Stream me")
    patched = await api.patch(
        f"{EVENTS}/{event_id}", json={"title": "Stream me (room 2)"}, headers=tenant.headers
    )
    assert patched.status_code in (200, 202), patched.text
    for action in ("unpublish", "publish", "cancel"):
        await event_action(api, tenant, event_id, action)

    found = await changes_of(stack.kafka_bootstrap, [event_id], lambda f: len(f[event_id]) >= 5)
    changes = found[event_id]
    assert [c.change for c in changes] == [
        "created", "updated", "status_changed", "status_changed", "cancelled"
    ]  # fmt: skip
    assert [c.version for c in changes] == [1, 2, 3, 4, 5]
    assert [c.change_id for c in changes] == sorted(c.change_id for c in changes)
    assert [c.event.status for c in changes] == [
        "published", "published", "draft", "published", "cancelled"
    ]  # fmt: skip
    assert changes[1].event.title == "Stream me (room 2)"
    assert changes[0].previous is None
    assert changes[4].previous is not None
    assert changes[4].previous.status == "published"
    assert {c.owner_id for c in changes} == {tenant.account_id}


async def test_a_rejected_or_duplicate_command_emits_nothing(
    api: httpx.AsyncClient, tenant: Tenant, stack: Servers, db: asyncpg.Pool
) -> None:
    event_id = await create_event(api, tenant, title="Once")
    await event_action(api, tenant, event_id, "cancel")
    refused = await api.post(f"{EVENTS}/{event_id}/publish", headers=tenant.headers)
    assert refused.status_code == 409  # a cancelled event stays cancelled: no change
    found = await changes_of(stack.kafka_bootstrap, [event_id], lambda f: len(f[event_id]) >= 3,
                             within=5)  # fmt: skip
    assert [c.change for c in found[event_id]] == ["created", "cancelled"]


@pytest.mark.parametrize("failpoint", ["after_commit:1", "after_relay_send:1"])
async def test_a_publisher_crash_around_the_relay_loses_no_change(
    failpoint: str,
    api: httpx.AsyncClient,
    tenant: Tenant,
    stack: Servers,
    db: asyncpg.Pool,
    services: dict[str, ServiceProcess],
) -> None:
    """after_commit: the batch is in PostgreSQL (and its outbox), not yet relayed.
    after_relay_send: the records are in Kafka, still in the outbox: sent again."""
    publisher = services["publisher"]
    publisher.stop()  # leaves the group at once, so the failpoint publisher joins without a wait
    try:
        accepted = await _backlog(api, tenant)
        crashing = ServiceProcess(
            "publisher",
            publisher.port,
            {**publisher.env, "PUBLISHER_CRASH_AT": failpoint},
            TEST.base_dir / "logs" / f"failpoint-{failpoint.replace(':', '-')}",
        )
        crashing.start(wait=False)
        assert crashing.process is not None
        try:
            code = await asyncio.to_thread(crashing.process.wait, 90)
        finally:
            crashing.kill()
        assert code == 137, f"the failpoint {failpoint} did not fire (exit {code})"
    finally:
        await asyncio.to_thread(publisher.start)

    found = await changes_of(stack.kafka_bootstrap, accepted, lambda f: all(f.values()), within=60)
    missing = [event_id for event_id, records in found.items() if not records]
    assert not missing, f"{len(missing)} created events never reached the change stream"
    for records in found.values():
        # Sent again after the crash is allowed (at least once); another version is not.
        assert {(r.change, r.version) for r in records} == {("created", 1)}
    await eventually(lambda: _outbox_empty(db, accepted))


async def _backlog(api: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    return list(
        await asyncio.gather(
            *(
                create_event(api, tenant, respond_async=True, title=f"Backlog {i}")
                for i in range(BACKLOG)
            )
        )
    )


async def _outbox_empty(db: asyncpg.Pool, event_ids: list[str]) -> bool:
    left = await db.fetchval(
        "SELECT count(*) FROM event_changes WHERE event_id = ANY($1::uuid[])", event_ids
    )
    return int(left) == 0


async def _relay_cycle_left_nothing_open(
    stack: Servers, db: asyncpg.Pool, fail: Callable[[ChangeRelay], Awaitable[None]]
) -> None:
    """`fail` makes a relay cycle fail; its connection's transaction and advisory lock must
    then be gone (the relay closes the connection: the server ends both), and asyncpg must
    not have had to reset a connection with a transaction still open."""
    pool = await create_pool(
        DatabaseSettings(url=stack.database_url, pool_min_size=1, pool_max_size=1)
    )
    complaints: list[str] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: complaints.append(context["message"]))
    try:
        backend = await pool.fetchval("SELECT pg_backend_pid()")  # the relay's one connection
        await fail(ChangeRelay(pool, producer=None, batch_size=-1))  # type: ignore[arg-type]
        assert complaints == []

        async def ended() -> bool:
            left = await db.fetchval(
                "SELECT count(*) FROM pg_locks WHERE pid = $1"
                " AND locktype IN ('advisory', 'virtualxid')",  # its lock, its transaction
                backend,
            )
            return bool(left == 0)

        await eventually(ended, within=5.0)
        assert await pool.fetchval("SELECT 1") == 1  # the pool goes on with a new connection
    finally:
        loop.set_exception_handler(None)
        await pool.close()


async def test_a_relay_cycle_that_fails_ends_its_own_transaction(
    stack: Servers, db: asyncpg.Pool
) -> None:
    """The relay opens its transaction with the lock and commits with the delete, outside
    asyncpg's transaction manager: a cycle that fails after BEGIN (here PostgreSQL refuses
    its select) ends its transaction itself, and with it the lock every replica's relay
    waits for."""

    async def refused(relay: ChangeRelay) -> None:
        with pytest.raises(asyncpg.PostgresError, match="LIMIT"):
            await relay.relay_once()

    await _relay_cycle_left_nothing_open(stack, db, refused)


async def test_a_relay_stopped_while_it_waits_for_the_lock_ends_its_transaction(
    stack: Servers, db: asyncpg.Pool
) -> None:
    """A relay waiting for another replica's lock when the process stops (its task is
    cancelled) has already begun its transaction: it ends too."""

    async def cancelled_in_the_wait(relay: ChangeRelay) -> None:
        async with db.acquire() as other, other.transaction():  # another replica's cycle
            await other.execute("SELECT pg_advisory_xact_lock($1)", RELAY_LOCK_ID)
            waiting = asyncio.create_task(relay.relay_once())
            await asyncio.sleep(0.5)
            assert not waiting.done()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting

    await _relay_cycle_left_nothing_open(stack, db, cancelled_in_the_wait)
