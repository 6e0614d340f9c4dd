"""What every HTTP service does at its edge: one request id per request (the caller's when
well-formed), and the route template that labels its metrics and log line."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.convertors import Convertor, IntegerConvertor, UUIDConvertor
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from shared.core.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from shared.domain.field_errors import FieldError

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
    """The matched route's path template as OpenAPI writes it (`/events/{eventId}`, without
    Starlette's `:uuid` convertors, so that every label of one route is the same string);
    unmatched paths share one label, so scanners cannot blow up the metrics' cardinality."""
    path = getattr(scope.get("route"), "path", None)
    return openapi_template(path) if isinstance(path, str) else "unmatched"


_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


@functools.lru_cache(maxsize=1024)
def openapi_template(path: str) -> str:
    """`path` with each `{name:convertor}` written `{name}`."""
    return _CONVERTOR.sub(r"{\1}", path)


def match_route(scope: Scope) -> None:
    """Note in `scope` the route its app's router would take (as the router does: the first
    full match, else the first partial one), for an answer given at the edge before routing,
    so that it is counted and logged under that route's template too."""
    partial = None
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            scope["route"] = route
            return
        if match is Match.PARTIAL and partial is None:
            partial = route
    if partial is not None:
        scope["route"] = partial


def count_request(route: str, method: str, status: int, seconds: float) -> None:
    requests, duration = _children(route, method, status // 100)
    requests.inc()
    duration.observe(seconds)


# Looking a label set's children up costs more than counting: bound once per set. Routes are
# templates and the unmatched share one label; the bound keeps odd methods from growing it.
@functools.lru_cache(maxsize=4096)
def _children(route: str, method: str, status_class: int) -> tuple[Counter, Histogram]:
    labels = (route, method, f"{status_class}xx")
    return HTTP_REQUESTS.labels(*labels), HTTP_REQUEST_DURATION.labels(*labels)


# What a typed path parameter must be, as pydantic names the same mistake in a body.
PARAMETER_KINDS: dict[type[Convertor[Any]], tuple[str, str]] = {
    UUIDConvertor: ("uuid_parsing", "a UUID"),
    IntegerConvertor: ("int_parsing", "an integer"),
}


def mistyped_path_parameter(
    routes: Iterable[BaseRoute],
    path: str,
    kinds: Mapping[type[Convertor[Any]], tuple[str, str]] = PARAMETER_KINDS,
) -> FieldError | None:
    """The path parameter that kept a route from matching (`/events/not-a-uuid`), named as
    the OpenAPI documents name it, by `kinds` (convertor type -> field code, what it must
    be); None when no route would match whatever its values."""
    for route in routes:
        if not isinstance(route, Route) or not route.param_convertors:
            continue
        matched = _untyped(route).match(path)
        if matched is None:
            continue
        for name, value in matched.groupdict().items():
            convertor = route.param_convertors[name]
            code, kind = kinds.get(type(convertor), ("", ""))
            if code and not re.fullmatch(convertor.regex, value):
                return FieldError(name, code, f"{name} must be {kind}; {value!r} is not one.")
    return None


def _untyped(route: Route) -> re.Pattern[str]:
    """The route's path with every parameter matching any one path segment (`re` caches the
    compiled patterns)."""
    pattern = re.escape(route.path_format)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")
