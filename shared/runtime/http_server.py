"""uvicorn on several listening sockets of one port, so a busy process still accepts.

libuv (under uvloop) accepts one connection per listening socket per event-loop iteration
since 1.45 (libuv/libuv#3696, "unix: don't accept() connections in a loop"). A gateway whose
loop is busy iterates 40-50 times a second, so when a burst opened 1,500 new connections they
waited in the kernel's accept queue for up to 10 s, where admission control (which watches
the loop) could not see them: refusals took seconds instead of milliseconds. With `count`
sockets bound to the same port (`SO_REUSEPORT`) the kernel spreads new connections over
them and each iteration accepts up to one per socket.

`serve` also keeps an unhandled error's traceback to the one line the app's own 500 handler
logs with the request id (see `LoggedOnce`).
"""

from __future__ import annotations

import socket
from typing import Any

import structlog
import uvicorn

log = structlog.get_logger(__name__)

STARTUP_FAILURE = 3  # uvicorn's own exit status when it cannot start


class PortTaken(OSError):
    pass


class LoggedOnce:
    """An HTTP request's unhandled error stops here, already answered and logged.

    Starlette's `ServerErrorMiddleware` answers it with the app's 500 handler (each service's
    logs it with the request id) and then raises it again so that the server can log it too:
    uvicorn's "Exception in ASGI application", a second traceback without the request id.
    Other scopes' errors (the lifespan's) still reach the server, which reports them.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            if scope["type"] != "http":
                raise


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets bound to (host, port), not yet listening (uvicorn listens with its
    backlog); port 0 binds them all to one free port. Raises PortTaken when anything already
    listens there: `SO_REUSEPORT` alone would let a second process of the same user share
    the port without a word."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    probe = socket.socket(family, kind, proto)
    try:
        # SO_REUSEADDR: a previous run's TIME_WAIT connections do not count; a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
    except OSError as exc:
        raise PortTaken(exc.errno, f"{host}:{port} is taken: {exc.strerror}") from exc
    finally:
        probe.close()
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            # Port 0 (any free port): the others join the one the kernel chose for the first.
            address = (address[0], sock.getsockname()[1], *address[2:])
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def serve(app: Any, host: str, port: int, listen_sockets: int, **options: Any) -> None:
    """Run `app` with uvicorn (`options` as `uvicorn.Config`'s) on `listen_sockets` sockets
    of host:port until a signal stops it; exits with status 3 if the port is taken."""
    try:
        sockets = listening_sockets(host, port, listen_sockets)
    except OSError as exc:
        log.error("cannot listen", host=host, port=port, error=str(exc))
        raise SystemExit(STARTUP_FAILURE) from exc
    # uvicorn names the address only for sockets it bound itself.
    bound = sockets[0].getsockname()
    name = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    log.info("listening", url=f"http://{name}:{bound[1]}", sockets=listen_sockets)
    config = uvicorn.Config(LoggedOnce(app), host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=sockets)
