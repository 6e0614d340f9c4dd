"""Sign-up, sign-in and sign-out: the rules, apart from HTTP.

Sign-in answers the same for an unknown address and a wrong password (and takes as long);
it is rate limited per client IP and per address for all replicas together, and an account
locks for a while after a run of wrong passwords (any sign-in, right or wrong, is refused
until then, so a guesser learns nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from services.discovery.people.passwords import Passwords
from services.discovery.people.secrets import SESSION_PREFIX, new_token
from services.discovery.people.store import PeopleStore, Person
from services.discovery.settings import PeopleSettings
from services.discovery.web.bodies import SignIn, SignUp
from services.discovery.web.errors import Conflict, RateLimited, TooManyAttempts, Unauthenticated
from shared.adapters.rate_limits import Limit, RateLimiter


@dataclass(frozen=True)
class IssuedSession:
    """A new session; `token` is shown to its holder once and stored only as a hash."""

    person: Person
    session_id: str
    token: str
    expires_at: datetime


def email_key(email: str) -> str:
    """One account per address whatever its case."""
    return email.strip().lower()


class Accounts:
    def __init__(
        self,
        store: PeopleStore,
        passwords: Passwords,
        limiter: RateLimiter,
        settings: PeopleSettings,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._limiter = limiter
        self._settings = settings

    async def sign_up(
        self, body: SignUp, client_ip: str, user_agent: str | None, request_id: str | None
    ) -> IssuedSession:
        """Sign-ups count in the per-IP sign-in quota too: each costs a password hash."""
        verdict = await self._limiter.check(
            [Limit("signup-ip", client_ip, self._settings.signin_per_ip)]
        )
        if not verdict.allowed:
            raise RateLimited(verdict.headers)
        hashed = await self._passwords.hash(body.password)
        person = await self._store.create(
            body.email, email_key(body.email), body.displayName, hashed
        )
        if person is None:
            raise Conflict("email_taken", "An account with this e-mail exists; sign in.", "email")
        await self._store.audit(person.id, "signed_up", request_id)
        return await self._issue(person, user_agent)

    async def sign_in(
        self, body: SignIn, client_ip: str, user_agent: str | None, request_id: str | None
    ) -> IssuedSession:
        key = email_key(body.email)
        await self._within_attempt_limits(client_ip, key)
        found = await self._store.credentials(key)
        if found is not None and found["locked"]:
            raise self._locked()
        matches = await self._passwords.verify(
            found["password_hash"] if found else None, body.password
        )
        if found is None or not matches:
            if found is not None:
                locked = await self._store.signin_failed(
                    found["id"], self._settings.lockout_failures, self._settings.lockout_minutes
                )
                await self._store.audit(found["id"], "signin_failed", request_id)
                if locked:
                    raise self._locked()
            raise Unauthenticated("The e-mail or the password is wrong.")
        rehashed = None
        if self._passwords.needs_rehash(found["password_hash"]):
            rehashed = await self._passwords.hash(body.password)
        await self._store.signed_in(found["id"], rehashed)
        person = await self._store.person(found["id"])
        assert person is not None
        await self._store.audit(person.id, "signed_in", request_id)
        return await self._issue(person, user_agent)

    async def _issue(self, person: Person, user_agent: str | None) -> IssuedSession:
        token, _ = new_token(SESSION_PREFIX)
        session_id, expires = await self._store.new_session(
            person.id, token, self._settings.session_days, user_agent
        )
        return IssuedSession(person, str(session_id), token, expires)

    async def _within_attempt_limits(self, client_ip: str, key: str) -> None:
        # The address is hashed in the bucket name: the counters table holds no e-mail.
        subject = hashlib.sha256(key.encode()).hexdigest()[:32]
        verdict = await self._limiter.check(
            [
                Limit("signin-ip", client_ip, self._settings.signin_per_ip),
                Limit("signin-email", subject, self._settings.signin_per_email),
            ]
        )
        if not verdict.allowed:
            raise RateLimited(verdict.headers)

    def _locked(self) -> TooManyAttempts:
        minutes = self._settings.lockout_minutes
        return TooManyAttempts(
            minutes * 60,
            f"Too many wrong passwords: sign-in to this account is paused for up to "
            f"{minutes} minutes.",
        )
