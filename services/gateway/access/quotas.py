"""The gateway's own quotas, on top of the per-IP and per-key ones. Counting itself is the
deployment-wide limiter's (`shared.adapters.rate_limits`), shared with discovery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from services.gateway.access.auth import Principal
from services.gateway.settings import RateLimitSettings
from shared.adapters.rate_limits import Limit


@dataclass(frozen=True)
class Quota:
    """A route's own quota, counted per key, or per owner account across all its keys."""

    policy: str  # names the bucket and the RateLimit header's policy, e.g. "events-create"
    per: Literal["key", "owner"]
    quota: Callable[[RateLimitSettings], int]

    def limit(self, principal: Principal, settings: RateLimitSettings) -> Limit:
        subject = str(principal.key_id) if self.per == "key" else f"account-{principal.owner_id}"
        return Limit(self.policy, subject, self.quota(settings))


EVENTS_CREATE = Quota("events-create", "key", lambda limits: limits.events_create_per_key)
# Key management is rare and sensitive: one tight quota per owner account, all keys together.
KEY_MANAGEMENT = Quota("key-management", "owner", lambda limits: limits.key_management_per_owner)
