"""An idle keep-alive connection outlives clients' own idle limit (httpx keeps one 5 s), so a
pooled connection a client reuses is never one the server is closing at that moment: such a
request fails with a reset, unanswered (found as a flaky ReadError in a backlog test)."""

from __future__ import annotations

import asyncio

from devstack.stack import ServiceProcess

IDLE_SECONDS = 5.5  # past httpx's pool expiry and uvicorn's own default keep-alive (5 s)


async def _status_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0]


async def _answers_after_idling(service: ServiceProcess) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    try:
        first = await _status_line(reader, writer)
        await asyncio.sleep(IDLE_SECONDS)
        return [first, await _status_line(reader, writer)]  # the same connection
    finally:
        writer.close()


async def test_an_idle_connection_is_still_served_after_a_clients_pool_expiry(
    services: dict[str, ServiceProcess],
) -> None:
    answers = await asyncio.gather(
        _answers_after_idling(services["gateway"]), _answers_after_idling(services["discovery"])
    )
    assert answers == [[b"HTTP/1.1 200 OK"] * 2] * 2
