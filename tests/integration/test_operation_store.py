"""The store side of operation resources: a generated signing key, and a command's recorded
fate readable by its owner only."""

from __future__ import annotations

import asyncpg

from devstack.stack import Servers
from shared.adapters.operations import operation_key, recorded_fate
from shared.adapters.postgres import connect
from tests.integration.conftest import Tenant
from tests.integration.test_publisher_apply import create, envelope
from tests.integration.test_publisher_refusals import apply, unchecked


async def test_the_key_is_generated_by_the_migration(db: asyncpg.Pool) -> None:
    key = await operation_key(db)
    assert len(key) == 32
    assert key != bytes(32)


async def test_a_commands_fate_is_read_by_its_owner_only(
    stack: Servers, db: asyncpg.Pool, tenant: Tenant
) -> None:
    conn = await connect(stack.database_url)  # jsonb decoded, as the services' pools do
    try:
        await _fate_read_back(conn, db, tenant)
    finally:
        await conn.close()


async def _fate_read_back(conn: asyncpg.Connection, db: asyncpg.Pool, tenant: Tenant) -> None:
    good = envelope(tenant, create(tenant))
    bad = envelope(tenant, unchecked(tenant, title="Jazz\x00Night"))
    assert await recorded_fate(conn, tenant.account_id, good.message_id) is None
    await apply(db, [good, bad])
    applied = await recorded_fate(conn, tenant.account_id, good.message_id)
    assert applied is not None
    assert (applied["status"], applied["event_id"]) == ("created", good.command.event_id)
    rejected = await recorded_fate(conn, tenant.account_id, bad.message_id)
    assert rejected is not None
    assert (rejected["status"], rejected["reason_code"]) == ("rejected", "validation_failed")
    assert rejected["fields"] == [
        {"path": "title", "code": "nul_character", "message": rejected["fields"][0]["message"]}
    ]
    assert await recorded_fate(conn, tenant.account_id + 1, good.message_id) is None
