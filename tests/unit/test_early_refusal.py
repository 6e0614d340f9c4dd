"""A refused write is answered in the callback where uvicorn read its head (no task, no app
call), over a real uvicorn server and a raw socket, and the connection carries on: the
refused request's body is discarded, the next request (sent later or pipelined) is served."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import uvicorn
from starlette.types import Receive, Scope, Send

from services.gateway.access.admission import SojournController
from services.gateway.app import PUBLIC_ROWS
from services.gateway.edge.admission import Gate
from services.gateway.edge.early_refusal import refusing_protocol
from shared.runtime.http_server import listening_sockets

EVENTS = "/api/public/v1/events"
READ = "/api/public/v1/classifications"
BODY = json.dumps({"title": "Jazz night", "padding": "x" * 3000}).encode()


def _post(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: gateway\r\n\r\n".encode()


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    status_line, *lines = head.strip().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, body


@contextlib.asynccontextmanager
async def _server(gate: Gate, served: list[tuple[str, str, bytes]]) -> AsyncIterator[int]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        served.append((scope["method"], scope["path"], body))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"ok"})

    (sock,) = listening_sockets("127.0.0.1", 0, 1)
    config = uvicorn.Config(app, http=refusing_protocol(gate), lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110  (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await serving


def _refusing() -> SojournController:
    controller = SojournController(0.005, 0.1)
    controller.refusing = True
    return controller


async def test_a_refused_write_never_reaches_the_app_and_the_connection_goes_on() -> None:
    served: list[tuple[str, str, bytes]] = []
    async with _server(Gate([_refusing()], PUBLIC_ROWS, 2), served) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(EVENTS, len(BODY)))  # the head alone: refused before the body
        status, headers, body = await _response(reader)
        assert (status, headers["retry-after"]) == (503, "2")
        assert json.loads(body)["error"]["code"] == "overloaded"
        assert json.loads(body)["error"]["requestId"] == headers["x-request-id"]
        writer.write(BODY[:1000])
        await asyncio.sleep(0.05)
        writer.write(BODY[1000:] + _get(READ))  # the rest of the body, then a read
        status, _, body = await _response(reader)
        assert (status, body) == (200, b"ok")
        writer.write(_post(EVENTS, len(BODY)) + BODY + _get(READ))  # pipelined
        assert (await _response(reader))[0] == 503
        assert (await _response(reader))[2] == b"ok"
        writer.close()
    assert served == [("GET", READ, b""), ("GET", READ, b"")]


async def test_while_admitting_a_write_and_its_whole_body_reach_the_app() -> None:
    served: list[tuple[str, str, bytes]] = []
    async with _server(Gate([SojournController(0.005, 0.1)], PUBLIC_ROWS, 2), served) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(EVENTS, len(BODY)) + BODY)
        assert (await _response(reader))[2] == b"ok"
        writer.close()
    assert served == [("POST", EVENTS, BODY)]
