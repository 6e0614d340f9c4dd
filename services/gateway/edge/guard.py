"""What a keyed route does before its own work: authenticate, count in quotas, check scope.

The router (`edge/routing.py`) runs `admit` with the scope and quota of the route's row, so a
route's access rule is declared once, where the route is.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.gateway.access.auth import Credentials, InactiveKey, Principal, authenticate
from services.gateway.access.quotas import Quota
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.errors import MissingScope, NotAuthenticated, RateLimited
from shared.adapters.rate_limits import Limit
from shared.domain.api_keys import Scope, looks_like_key


async def admit(
    request: GatewayRequest, gateway: Gateway, scopes: Sequence[Scope], quota: Quota | None
) -> Principal:
    """The request's principal once it is authenticated, within its quotas and holding one
    of `scopes`; else NotAuthenticated, RateLimited or MissingScope (naming the first)."""
    limits = gateway.settings.rate_limits
    try:
        principal = await authenticate(credentials(request), gateway.access)
    except NotAuthenticated as exc:
        if isinstance(exc, InactiveKey):
            request.state["exchange"].inactive_key = exc.principal
        # Failed logins count against the IP too, so guessing keys is throttled.
        await count(request, gateway, [ip_limit(request, gateway)])
        raise
    request.state["exchange"].principal = principal
    allowed = any(scope in principal.scopes for scope in scopes)
    # A refused request spends the key's and the IP's quotas, not the route's it never used.
    route_quota = [quota.limit(principal, limits)] if quota is not None and allowed else []
    key_quota = Limit("key", str(principal.key_id), limits.per_key)
    await count(request, gateway, [ip_limit(request, gateway), key_quota, *route_quota])
    if not allowed:
        raise MissingScope(" or ".join(scopes))
    return principal


async def count(request: GatewayRequest, gateway: Gateway, limits: Sequence[Limit]) -> None:
    """Count the request in `limits`; RateLimited when over one. The quotas' headers are
    kept in the request's exchange, for its answer whatever it is."""
    if not gateway.settings.rate_limits.enabled:
        return
    verdict = await gateway.limiter.check(limits)
    request.state["exchange"].quota_headers = verdict.headers
    if not verdict.allowed:
        raise RateLimited(verdict.headers)


def ip_limit(request: GatewayRequest, gateway: Gateway) -> Limit:
    client = request.client.host if request.client else "unknown"
    return Limit("ip", client, gateway.settings.rate_limits.per_ip)


def credentials(request: GatewayRequest) -> Credentials:
    # Under any parameter name: a value shaped like a key, or the names clients use for one.
    params = request.query_params
    in_query = (
        "api_key" in params or "apiKey" in params or any(map(looks_like_key, params.values()))
    )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return Credentials(bearer, key_in_query=in_query)
