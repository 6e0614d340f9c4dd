"""What the routes receive from the composition root (app.py), on `app.state.ctx`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from starlette.requests import Request

from services.discovery.feeds.service import FeedService
from services.discovery.queries.store import DiscoveryStore
from services.discovery.settings import DiscoverySettings
from services.discovery.web.render import Pages
from shared.adapters.rate_limits import RateLimiter


@dataclass(frozen=True)
class DiscoveryContext:
    settings: DiscoverySettings
    pool: asyncpg.Pool
    store: DiscoveryStore
    feeds: FeedService
    pages: Pages
    limiter: RateLimiter


def context(request: Request) -> DiscoveryContext:
    ctx: DiscoveryContext = request.app.state.ctx
    return ctx


def base_url(request: Request) -> str:
    """Scheme and host the client used (a trusted proxy's X-Forwarded-Proto counts)."""
    return str(request.base_url).rstrip("/")
