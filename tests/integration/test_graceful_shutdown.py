"""SIGTERM drains instead of dropping: the gateway finishes the requests it has open, the
publisher finishes and commits the batch in hand, and both exit cleanly within a bound."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess

import asyncpg

from devstack.stack import TEST, Servers, ServiceProcess, service_env, shifted
from tests.integration.conftest import Tenant, eventually, rows_of, sample, scrape
from tests.integration.test_publisher_crash import BACKLOG, produce_backlog

PORT = shifted(18094)
EXIT_BOUND_SECONDS = 40
# uvicorn re-raises the signal once its graceful shutdown is complete, so a clean exit after
# SIGTERM reports -SIGTERM; a process we had to kill after the bound reports None below.
CLEAN_EXITS = (0, -signal.SIGTERM)


async def _exit_code(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return await asyncio.to_thread(process.wait, EXIT_BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        return None


async def test_gateway_finishes_open_requests_on_sigterm(
    stack: Servers, services: dict[str, ServiceProcess], tenant: Tenant, db: asyncpg.Pool
) -> None:
    env = service_env(
        stack, {"GATEWAY_OUTCOME_WAIT_SECONDS": "0", "GATEWAY_ADMISSION_ENABLED": "false"}
    )
    gateway = ServiceProcess("gateway", PORT, env, TEST.base_dir / "logs" / "graceful")
    await asyncio.to_thread(gateway.start)
    assert gateway.process is not None
    bodies = [json.dumps(tenant.event(title=f"In flight {n}")).encode() for n in range(5)]
    connections = []
    for body in bodies:
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        writer.write(
            b"POST /api/public/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {tenant.key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        connections.append((reader, writer, body))
    await asyncio.sleep(0.3)  # every request has begun

    gateway.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    answers = []
    for reader, writer, body in connections:
        writer.write(body[10:])
        await writer.drain()
        answers.append(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=15))
        writer.close()
    assert all(a.startswith(b"HTTP/1.1 20") for a in answers), answers
    assert await _exit_code(gateway.process) in CLEAN_EXITS
    assert "Application shutdown complete" in gateway.log_file.read_text()

    async def all_stored() -> bool:
        return await rows_of(db, tenant) == len(bodies)

    await eventually(all_stored)
    # Their audit records were still held for the next batch when the server stopped.
    request_ids = [_header(answer, b"x-request-id") for answer in answers]

    async def all_audited() -> bool:
        found = await db.fetchval(
            "SELECT count(*) FROM audit_log WHERE request_id = ANY($1::text[])", request_ids
        )
        return bool(found == len(request_ids))

    await eventually(all_audited)


def _header(head: bytes, name: bytes) -> str:
    for line in head.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode()
    raise AssertionError(f"no {name!r} in {head!r}")


async def test_publisher_commits_the_batch_in_hand_on_sigterm(
    stack: Servers, tenant: Tenant, db: asyncpg.Pool, services: dict[str, ServiceProcess]
) -> None:
    publisher = services["publisher"]
    publisher.stop()
    accepted = await produce_backlog(stack, tenant, BACKLOG)
    publisher.start(wait=False)
    assert publisher.process is not None
    await eventually(lambda: rows_of(db, tenant), within=60, interval=0.01)
    publisher.process.send_signal(signal.SIGTERM)
    assert await _exit_code(publisher.process) in CLEAN_EXITS
    stored_at_exit = await rows_of(db, tenant)
    assert stored_at_exit < BACKLOG, "the backlog drained before SIGTERM; nothing was proven"

    await asyncio.to_thread(publisher.start)

    async def all_stored() -> bool:
        return await rows_of(db, tenant) == len(accepted)

    await eventually(all_stored, within=90)
    # Nothing it had applied came back: its last batch was committed before it exited.
    text = await scrape(publisher)
    assert sample(text, "pinned_publisher_commands_total", outcome="duplicate") == 0
