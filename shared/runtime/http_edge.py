"""What every HTTP service does at its edge: one request id per request (the caller's when
well-formed), and the route template that labels its metrics and log line."""

from __future__ import annotations

import re
import uuid

from starlette.types import Scope

from shared.core.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id(scope: Scope) -> str:
    """The caller's X-Request-Id when it is 8-128 safe characters, else a fresh one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode(errors="replace")
            if _REQUEST_ID.match(candidate):
                return candidate
    return f"req_{uuid.uuid4().hex}"


def route_template(scope: Scope) -> str:
    """The matched route's path template; unmatched paths share one label, so scanners
    cannot blow up the metrics' cardinality."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


def count_request(route: str, method: str, status: int, seconds: float) -> None:
    status_class = f"{status // 100}xx"
    HTTP_REQUESTS.labels(route, method, status_class).inc()
    HTTP_REQUEST_DURATION.labels(route, method, status_class).observe(seconds)
