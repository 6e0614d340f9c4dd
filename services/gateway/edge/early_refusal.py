"""Admission control's refusal written in the callback where uvicorn has just read a request's
head, instead of in the task uvicorn would start for the request.

uvicorn runs each request in a task of its own, whose first step waits for the event loop's
next iteration, behind every callback already queued; past capacity, when the gate refuses,
those iterations are the long ones. A refusal needs nothing asynchronous: its answer is
canned, and uvicorn's transport takes it at once while writes are not paused. So the gate is
asked here, and a refused write is answered before any task exists; the body that follows is
discarded as uvicorn discards any body after a complete response, and the connection stays
open for the next request. The gate in `RequestObserver` stays: it refuses what a queue formed
while a request's task waited.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any, cast

from starlette.types import Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from services.gateway.edge.admission import Gate
from shared.runtime import http_edge as edge


def refusing_protocol(gate: Gate) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol (the `http` option of `uvicorn.Config`) with `gate`'s
    refusals answered as each request's head is read."""

    class RefusingAtRead(HttpToolsProtocol):
        def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
            if not self.flow.write_paused:
                # uvicorn's typed ASGI dicts are the plain mappings Starlette's types name.
                scope = cast(Scope, cycle.scope)
                send = cast(Send, cycle.send)
                started = time.perf_counter()
                if _completed(gate.refused(scope, send, edge.request_id(scope), started)):
                    return
            super()._start_asgi_task(cycle, app)

    return RefusingAtRead


def _completed(refusal: Coroutine[Any, Any, bool]) -> bool:
    """Runs `refusal` to its end now: the gate's only awaits are uvicorn's sends, which wait
    only while writes are paused (the caller checked they are not)."""
    try:
        refusal.send(None)
    except StopIteration as done:
        return bool(done.value)
    refusal.close()
    raise RuntimeError("a refusal waited for its answer to be written")
