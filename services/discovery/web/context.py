"""What the routes receive from the composition root (app.py), on `app.state.ctx`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from starlette.requests import Request

from services.discovery.feeds.service import FeedService
from services.discovery.people.accounts import Accounts
from services.discovery.people.store import PeopleStore
from services.discovery.queries.search_cache import SearchCache
from services.discovery.queries.store import DiscoveryStore
from services.discovery.settings import DiscoverySettings
from services.discovery.web.render import Pages
from shared.adapters.rate_limits import RateLimiter
from shared.domain.passwords import Passwords


@dataclass(frozen=True)
class DiscoveryContext:
    """`pool` serves public reads and may be a replica; `primary` takes people's writes and
    their reads of their own data (the same pool when both URLs are the same)."""

    settings: DiscoverySettings
    pool: asyncpg.Pool
    store: DiscoveryStore
    searches: SearchCache
    feeds: FeedService
    pages: Pages
    limiter: RateLimiter
    primary: asyncpg.Pool
    people: PeopleStore
    accounts: Accounts
    passwords: Passwords


def context(request: Request) -> DiscoveryContext:
    ctx: DiscoveryContext = request.app.state.ctx
    return ctx


def client_ip(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For counts)."""
    return request.client.host if request.client else "unknown"


def request_id(request: Request) -> str | None:
    rid: str | None = getattr(request.state, "request_id", None)
    return rid


def base_url(request: Request) -> str:
    """Scheme and host the client used (a trusted proxy's X-Forwarded-Proto counts)."""
    return str(request.base_url).rstrip("/")
