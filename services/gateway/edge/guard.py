"""What every public route does before its own work: authenticate, rate limit, check scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from services.gateway.access.auth import KeyLookup, Principal, authenticate
from services.gateway.access.limits import Limit, RateLimiter
from services.gateway.edge.errors import MissingScope, RateLimited, Unauthorized
from services.gateway.settings import RateLimitSettings
from shared.domain.api_keys import Scope

LimitSubject = Literal["key", "owner"]
ScopedEndpoint = Callable[[Request, Principal], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def requires(
    scope: Scope, route_limit: str | None = None, limit_by: LimitSubject = "key"
) -> Callable[[ScopedEndpoint], Endpoint]:
    """Guard an endpoint; `route_limit` names a quota of RateLimitSettings, counted per key
    (`<route_limit>_per_key`) or per owner account across all its keys (`..._per_owner`)."""

    def decorate(endpoint: ScopedEndpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            ctx = request.app.state.ctx
            principal = await _authenticate_or_limit(
                request, ctx.access, ctx.limiter, ctx.settings.rate_limits
            )
            request.state.principal = principal
            limits = _limits(ctx.settings.rate_limits, request, principal, route_limit, limit_by)
            await enforce(request, ctx.limiter, ctx.settings.rate_limits, limits)
            if scope not in principal.scopes:
                raise MissingScope(scope)
            response = await endpoint(request, principal)
            response.headers.update(request.state.rate_limit_headers)
            return response

        guarded.required_scope = scope  # type: ignore[attr-defined]
        return guarded

    return decorate


async def _authenticate_or_limit(
    request: Request, keys: KeyLookup, limiter: RateLimiter, settings: RateLimitSettings
) -> Principal:
    try:
        return await authenticate(request, keys)
    except Unauthorized:
        # Failed logins count against the IP too, so guessing keys is throttled.
        await enforce(request, limiter, settings, [ip_limit(settings, request)])
        raise


async def enforce(
    request: Request, limiter: RateLimiter, settings: RateLimitSettings, limits: list[Limit]
) -> None:
    """Count the request in `limits`; RateLimited when over one. The answer's RateLimit
    headers are left in `request.state.rate_limit_headers`."""
    request.state.rate_limit_headers = {}
    if not settings.enabled:
        return
    verdict = await limiter.check(limits)
    request.state.rate_limit_headers = verdict.headers
    if not verdict.allowed:
        raise RateLimited(verdict.headers)


def _limits(
    settings: RateLimitSettings,
    request: Request,
    principal: Principal,
    route_limit: str | None,
    limit_by: LimitSubject,
) -> list[Limit]:
    key = str(principal.key_id)
    limits = [ip_limit(settings, request), Limit("key", key, settings.per_key)]
    if route_limit is not None:
        quota = getattr(settings, f"{route_limit}_per_{limit_by}")
        subject = key if limit_by == "key" else f"account-{principal.owner_id}"
        limits.append(Limit(route_limit.replace("_", "-"), subject, quota))
    return limits


def ip_limit(settings: RateLimitSettings, request: Request) -> Limit:
    client = request.client.host if request.client else "unknown"
    return Limit("ip", client, settings.per_ip)
