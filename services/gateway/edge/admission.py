"""Admission control at the edge: while the controller refuses, a write route's request is
answered 503 `overloaded` with Retry-After as the first thing the gateway does with it, before
routing, authentication, quotas or reading the body, so a refusal costs next to nothing: it
is counted in the metrics but has no log line or audit record of its own (the controller logs
when refusing starts and stops; see access/admission.py).

A broker that stops acknowledging also makes the acknowledgement queue stand. While the
event log is failing (`outage()`: its last send was not acknowledged) a refusal is that
outage's answer, 503 `service_unavailable` with the send path's Retry-After, and is not
counted as an admission refusal: clients and the overload alert are not told "add replicas"
when the broker is down."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import Counter, Histogram
from starlette.routing import compile_path
from starlette.types import Scope, Send

from services.gateway.access.admission import SojournController, refusing
from services.gateway.edge.operations import Row
from services.gateway.errors import EventLogUnavailable, GatewayError, Overloaded
from shared.core.metrics import ADMISSION_REJECTED, HTTP_REQUEST_DURATION, HTTP_REQUESTS

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class _Write:
    method: str
    path: re.Pattern[str]
    controllers: tuple[SojournController, ...]  # any one refusing refuses this route
    rejected: Counter  # this route's children, bound once rather than per request
    requests: Counter
    duration: Histogram


class Gate:
    """Refuses the writes of `rows` (every method but GET) while any of `controllers`
    refuses; a row whose operation id `own` names is refused by its own controllers instead
    (the batch endpoint: see the gateway's AdmissionSettings)."""

    def __init__(
        self,
        controllers: Sequence[SojournController],
        rows: Sequence[Row],
        retry_after_seconds: int,
        own: Mapping[str, Sequence[SojournController]] | None = None,
    ) -> None:
        own = own or {}
        self.controllers = tuple(
            {id(c): c for cs in (controllers, *own.values()) for c in cs}.values()
        )
        self._writes = [
            _Write(
                row.method,
                compile_path(row.path)[0],
                tuple(own.get(row.operation_id, controllers)),
                ADMISSION_REJECTED.labels(row.path),
                HTTP_REQUESTS.labels(row.path, row.method, "5xx"),
                HTTP_REQUEST_DURATION.labels(row.path, row.method, "5xx"),
            )
            for row in rows
            if row.method not in _READS
        ]
        self._overloaded = _canned(Overloaded(retry_after_seconds))
        self._unavailable = _canned(EventLogUnavailable())
        self.outage: Callable[[], bool] = lambda: False

    async def refused(self, scope: Scope, send: Send, request_id: str, started: float) -> bool:
        """True when the request was refused here (and answered); else it goes on."""
        if scope["method"] in _READS or not refusing(self.controllers):
            return False
        path: str = scope["path"]
        write = next(
            (w for w in self._writes if w.method == scope["method"] and w.path.match(path)), None
        )
        if write is None or not refusing(write.controllers):
            return False
        outage = self.outage()
        body_prefix, canned_headers = self._unavailable if outage else self._overloaded
        body = body_prefix + request_id.encode() + b'"}}'
        headers = [
            *canned_headers,
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if not outage:
            write.rejected.inc()
        write.requests.inc()
        write.duration.observe(time.perf_counter() - started)
        return True


def _canned(refusal: GatewayError) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """`refusal`'s envelope up to its request id (appended per request), and its headers."""
    body_prefix = json.dumps(
        {"error": {"code": refusal.code, "message": refusal.message, "requestId": ""}}
    ).encode()[: -len('"}}')]
    headers = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(refusal.retry_after_seconds).encode()),
    ]
    return body_prefix, headers
