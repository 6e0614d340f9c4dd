"""Answers built from several facts read one snapshot: while the auditor writes, a key's usage
never shows requests per day that its total does not count."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from devstack.stack import Servers
from services.auditor.store import write_audit
from shared.adapters import key_store
from shared.adapters.key_usage import read_usage
from shared.adapters.postgres import connect, read_snapshot
from shared.contracts.messages import AuditRecord
from tests.integration.conftest import Tenant

ROUNDS = 60


def request_by(key_id: uuid.UUID, tenant: Tenant, status: int) -> AuditRecord:
    return AuditRecord(
        record_id=uuid.uuid4(), request_id=f"req_{uuid.uuid4().hex}",
        occurred_at=datetime.now(UTC), method="GET", route="/api/public/v1/channels",
        path="/api/public/v1/channels", status=status, duration_seconds=0.001,
        client_ip="127.0.0.1", owner_id=tenant.account_id, api_key_id=key_id,
    )  # fmt: skip


async def key_of(conn: asyncpg.Connection, tenant: Tenant) -> uuid.UUID:
    rows, _ = await key_store.page(conn, tenant.account_id, 10, 0)
    return next(r["id"] for r in rows if r["prefix"] == tenant.key.split("_")[2])


async def test_usage_totals_agree_with_its_days_while_the_auditor_writes(
    stack: Servers, tenant: Tenant
) -> None:
    writer, reader = await connect(stack.database_url), await connect(stack.database_url)
    try:
        key_id = await key_of(reader, tenant)

        async def audit() -> None:
            for n in range(ROUNDS):  # as the auditor: rows and counters in one transaction
                async with writer.transaction():
                    await write_audit(writer, [request_by(key_id, tenant, 200 + 200 * (n % 2))])
                await asyncio.sleep(0)

        auditing = asyncio.create_task(audit())
        seen = []
        while not auditing.done():
            usage = await read_usage(reader, tenant.account_id, key_id, days=1)
            seen.append(usage)
            assert sum(d["requests"] for d in usage["by_day"]) == usage["request_count"]
            assert sum(s["requests"] for s in usage["by_status"]) == usage["request_count"]
        await auditing
        final = await read_usage(reader, tenant.account_id, key_id, days=1)
        assert final["request_count"] == ROUNDS
        assert final["by_status"] == [
            {"status": 200, "requests": ROUNDS // 2},
            {"status": 400, "requests": ROUNDS // 2},
        ]
        assert final["by_day"][0]["errors"] == ROUNDS // 2
        assert len({u["request_count"] for u in seen}) > 1, "the reads never overlapped a write"
    finally:
        await writer.close()
        await reader.close()


async def test_another_accounts_key_is_not_found(stack: Servers, tenant: Tenant) -> None:
    conn = await connect(stack.database_url)
    try:
        key_id = await key_of(conn, tenant)
        with pytest.raises(key_store.KeyNotFound):
            await read_usage(conn, tenant.account_id + 1_000_000, key_id, days=30)
    finally:
        await conn.close()


async def test_a_snapshot_does_not_see_commits_made_after_it_began(
    stack: Servers, tenant: Tenant
) -> None:
    reader, writer = await connect(stack.database_url), await connect(stack.database_url)
    count = "SELECT count(*) FROM channels WHERE owner_account_id = $1"
    try:
        async with read_snapshot(reader):
            before = await reader.fetchval(count, tenant.account_id)
            await writer.execute(
                "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'later')",
                tenant.account_id,
            )
            assert await reader.fetchval(count, tenant.account_id) == before
        assert await reader.fetchval(count, tenant.account_id) == before + 1
    finally:
        await reader.close()
        await writer.close()
