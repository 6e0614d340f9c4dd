"""Checking a password at sign-in, the same way for people (discovery) and for the
developer portal's users (gateway): per-IP and per-address attempt limits shared by every
replica, a lockout after a run of wrong passwords, argon2id verification, rehash on success.

An unknown address and a wrong password get the same refusal and take as long (a dummy hash
is verified). While an account is locked every attempt is refused, right or wrong, so a
guesser learns nothing of the password from the answers (only an account can be locked: the
lockout tells a known address from an unknown one, which sign-up's 409 tells anyway). A user
without a password yet (an invitation not accepted) is an unknown address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import asyncpg

from shared.adapters.rate_limits import Limit, RateLimiter
from shared.core.settings import CredentialSettings
from shared.domain.passwords import Passwords

# The tables that hold credentials: each has email_key, password_hash, failed_signins and
# locked_until. Only these constants are ever spliced into the SQL below.
CredentialTable = Literal["people", "portal_users"]
# Hears of each wrong password of a known user, with the user's id.
WrongPasswordHook = Callable[[int], Awaitable[None]]


class SignInRefused(Exception):
    """Base of every refusal; `message` can be shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongCredentials(SignInRefused):
    def __init__(self) -> None:
        super().__init__("The e-mail or the password is wrong.")


class TooManyAttempts(SignInRefused):
    """Over the attempt quota of this client IP or this address; `headers` are the
    RateLimit headers (with Retry-After)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__("Too many sign-in attempts; wait a little and try again.")
        self.headers = dict(headers)


class LockedOut(SignInRefused):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"Too many wrong passwords: sign-in to this account is paused for up to "
            f"{minutes} minutes."
        )
        self.retry_after_seconds = minutes * 60


@dataclass(frozen=True)
class SignInPolicy:
    """`name` prefixes the quota buckets (`<name>-ip`, `<name>-email`)."""

    name: str
    per_ip: int
    per_email: int
    lockout_failures: int
    lockout_minutes: int

    @classmethod
    def of(cls, name: str, settings: CredentialSettings) -> SignInPolicy:
        return cls(
            name,
            settings.signin_per_ip,
            settings.signin_per_email,
            settings.lockout_failures,
            settings.lockout_minutes,
        )


class Credentials:
    """Password rows of one table."""

    def __init__(self, pool: asyncpg.Pool, table: CredentialTable) -> None:
        self._pool = pool
        self._find = (
            "SELECT id, password_hash, locked_until > now() AS locked"  # noqa: S608
            f" FROM {table} WHERE email_key = $1 AND password_hash IS NOT NULL"
        )
        self._failed = (
            f"UPDATE {table} SET failed_signins = failed_signins + 1,"  # noqa: S608
            " locked_until = CASE WHEN failed_signins + 1 >= $2"
            " THEN now() + make_interval(mins => $3) ELSE locked_until END"
            " WHERE id = $1 RETURNING locked_until > now() AS locked"
        )
        self._succeeded = (
            f"UPDATE {table} SET failed_signins = 0, locked_until = NULL,"  # noqa: S608
            " password_hash = coalesce($2, password_hash) WHERE id = $1"
        )

    async def find(self, key: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(self._find, key)

    async def failed(self, user_id: int, lock_after: int, lock_minutes: int) -> bool:
        """Count a wrong password; True when the user is now locked."""
        return bool(await self._pool.fetchval(self._failed, user_id, lock_after, lock_minutes))

    async def succeeded(self, user_id: int, new_hash: str | None) -> None:
        await self._pool.execute(self._succeeded, user_id, new_hash)


class SignInGuard:
    def __init__(
        self,
        credentials: Credentials,
        passwords: Passwords,
        limiter: RateLimiter,
        policy: SignInPolicy,
    ) -> None:
        self._credentials = credentials
        self._passwords = passwords
        self._limiter = limiter
        self._policy = policy

    async def check(
        self,
        key: str,
        password: str,
        client_ip: str,
        on_wrong_password: WrongPasswordHook | None = None,
    ) -> int:
        """The id of the user whose e-mail key is `key`, when `password` is theirs; else
        SignInRefused. `on_wrong_password` hears of each wrong password of a known user."""
        await self._within_limits(client_ip, key)
        found = await self._credentials.find(key)
        if found is not None and found["locked"]:
            raise LockedOut(self._policy.lockout_minutes)
        stored = found["password_hash"] if found is not None else None
        if found is None or not await self._passwords.verify(stored, password):
            if found is not None:
                await self._count_failure(found["id"], on_wrong_password)
            raise WrongCredentials()
        rehashed = None
        if self._passwords.needs_rehash(found["password_hash"]):
            rehashed = await self._passwords.hash(password)
        await self._credentials.succeeded(found["id"], rehashed)
        user_id: int = found["id"]
        return user_id

    async def _count_failure(self, user_id: int, heard: WrongPasswordHook | None) -> None:
        policy = self._policy
        locked = await self._credentials.failed(
            user_id, policy.lockout_failures, policy.lockout_minutes
        )
        if heard is not None:
            await heard(user_id)
        if locked:
            raise LockedOut(policy.lockout_minutes)

    async def _within_limits(self, client_ip: str, key: str) -> None:
        # The address is hashed in the bucket name: the counters table holds no e-mail.
        subject = hashlib.sha256(key.encode()).hexdigest()[:32]
        policy = self._policy
        verdict = await self._limiter.check(
            [
                Limit(f"{policy.name}-ip", client_ip, policy.per_ip),
                Limit(f"{policy.name}-email", subject, policy.per_email),
            ]
        )
        if not verdict.allowed:
            raise TooManyAttempts(verdict.headers)
