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
        if self.per == "owner":
            return self.for_owner(principal.owner_id, settings)
        return Limit(self.policy, str(principal.key_id), self.quota(settings))

    def for_owner(self, owner_id: int, settings: RateLimitSettings) -> Limit:
        """The account's bucket: its owner keys and its portal users count in one."""
        return Limit(self.policy, f"account-{owner_id}", self.quota(settings))


EVENTS_CREATE = Quota("events-create", "key", lambda limits: limits.events_create_per_key)
# Key management is rare and sensitive: one tight quota per owner account, all keys together.
KEY_MANAGEMENT = Quota("key-management", "owner", lambda limits: limits.key_management_per_owner)
# The portal's mapping previews: they change nothing, so they do not spend the changes quota.
PORTAL_PREVIEWS = Quota("portal-previews", "owner", lambda limits: limits.portal_previews_per_owner)
