"""A TCP relay in front of a real server that a test can cut and restore: an outage of
PostgreSQL (every open connection dropped, new ones refused) without stopping the session's
server, which the other tests share."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class TcpRelay:
    """Relays 127.0.0.1:`port` to `target_host`:`target_port` while open."""

    def __init__(self, target_host: str, target_port: int, port: int) -> None:
        self._target = (target_host, target_port)
        self.port = port
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and reset every open one, as a stopped server does."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def url_through(self, url: str) -> str:
        """`url` (postgresql://user:password@host:port/db) with this relay as host and port."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    async def _link(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(*self._target)
        except OSError:
            client.transport.abort()
            return
        self._links |= {client, server_out}
        await asyncio.gather(self._pipe(reader, server_out), self._pipe(server_in, client))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        sink.transport.abort()
        self._links.discard(sink)
