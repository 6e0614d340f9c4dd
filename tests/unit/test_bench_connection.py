"""The load generator's kept-alive connections against a server that closes them: a close
the server made while the connection sat idle, or one crossing a request, is not a failed
request; a server that answers nothing on a new connection, or breaks off an answer, is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from bench.load import Connection

_ANSWER = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"
_REQUEST = b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"


@dataclass
class Server:
    """Answers each request with `_ANSWER`, unless `reply(n)` (n: the request's number on the
    server, from 1) says what to send instead (then it closes the connection). Closes a
    connection idle for `keep_alive` seconds, as uvicorn's keep-alive timeout does."""

    keep_alive: float = 60.0
    reply: Callable[[int], bytes | None] = lambda n: _ANSWER
    requests: int = 0
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = field(default=None, repr=False)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.keep_alive)
                except (TimeoutError, asyncio.IncompleteReadError):
                    return
                self.requests += 1
                answer = self.reply(self.requests)
                if answer != _ANSWER:
                    writer.write(answer or b"")
                    await writer.drain()
                    return
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    state._server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
    state.port = state._server.sockets[0].getsockname()[1]
    async with state._server:
        yield state


@pytest.fixture
async def connection(server: Server) -> AsyncIterator[Connection]:
    opened = Connection("127.0.0.1", server.port)
    yield opened
    opened.close()
    await asyncio.sleep(0)  # the transport's close completes


async def test_a_connection_the_server_closed_while_idle_is_replaced_before_the_request(
    server: Server, connection: Connection
) -> None:
    server.keep_alive = 0.05
    assert await connection.exchange(_REQUEST) == (202, b"ok", False)
    await asyncio.sleep(0.3)  # the server's keep-alive timeout closes it meanwhile
    assert await connection.exchange(_REQUEST) == (202, b"ok", False)
    assert (server.requests, server.connections, connection.retries) == (2, 2, 0)


async def test_a_close_crossing_the_request_sends_it_once_more_on_a_new_connection(
    server: Server, connection: Connection
) -> None:
    server.reply = lambda n: None if n == 2 else _ANSWER  # the second: closed, unanswered
    assert await connection.exchange(_REQUEST) == (202, b"ok", False)
    assert await connection.exchange(_REQUEST) == (202, b"ok", False)
    assert (server.requests, server.connections, connection.retries) == (3, 2, 1)


async def test_no_answer_on_a_new_connection_is_the_servers_failure(
    server: Server, connection: Connection
) -> None:
    server.reply = lambda n: None
    with pytest.raises(asyncio.IncompleteReadError):
        await connection.exchange(_REQUEST)
    assert (server.requests, connection.retries) == (1, 0)


async def test_an_answer_broken_off_is_never_sent_again(
    server: Server, connection: Connection
) -> None:
    server.reply = lambda n: b"HTTP/1.1 20" if n == 2 else _ANSWER
    await connection.exchange(_REQUEST)
    with pytest.raises(asyncio.IncompleteReadError):
        await connection.exchange(_REQUEST)
    assert (server.requests, connection.retries) == (2, 0)
    # The broken connection is dropped; the next request opens another.
    assert await connection.exchange(_REQUEST) == (202, b"ok", False)
