"""Sign-up, sign-in and sign-out: the rules, apart from HTTP.

Sign-in answers the same for an unknown address and a wrong password (and takes as long);
it is rate limited per client IP and per address for all replicas together, and an account
locks for a while after a run of wrong passwords (any sign-in, right or wrong, is refused
until then, so a guesser learns nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.discovery.people.store import PeopleStore, Person
from services.discovery.settings import PeopleSettings
from services.discovery.web.bodies import SignIn, SignUp
from services.discovery.web.errors import (
    Conflict,
    RateLimited,
    TooManyAttempts,
    Unauthenticated,
    WrongPassword,
)
from shared.adapters import sign_in
from shared.adapters.rate_limits import Limit, RateLimiter
from shared.domain.passwords import Passwords, email_key
from shared.domain.tokens import SESSION_PREFIX, new_token


@dataclass(frozen=True)
class IssuedSession:
    """A new session; `token` is shown to its holder once and stored only as a hash."""

    person: Person
    session_id: str
    token: str
    expires_at: datetime


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
        policy = sign_in.SignInPolicy.of("signin", settings)
        self._guard = sign_in.SignInGuard(
            sign_in.Credentials(store.pool, "people"), passwords, limiter, policy
        )

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
        async def wrong_password(person_id: int) -> None:
            await self._store.audit(person_id, "signin_failed", request_id)

        try:
            person_id = await self._guard.check(
                email_key(body.email), body.password, client_ip, wrong_password
            )
        except sign_in.TooManyAttempts as exc:
            raise RateLimited(exc.headers) from None
        except sign_in.LockedOut as exc:
            raise TooManyAttempts(exc.retry_after_seconds, exc.message) from None
        except sign_in.WrongCredentials as exc:
            raise Unauthenticated(exc.message) from None
        person = await self._store.person(person_id)
        assert person is not None
        await self._store.audit(person.id, "signed_in", request_id)
        return await self._issue(person, user_agent)

    async def confirm_password(self, person: Person, password: str, client_ip: str) -> None:
        """`password` is the signed-in person's own, checked as a sign-in checks it (the same
        quotas and lockout), so a stolen session cannot guess it; else WrongPassword,
        RateLimited or TooManyAttempts."""
        try:
            await self._guard.check(email_key(person.email), password, client_ip)
        except sign_in.TooManyAttempts as exc:
            raise RateLimited(exc.headers) from None
        except sign_in.LockedOut as exc:
            raise TooManyAttempts(exc.retry_after_seconds, exc.message) from None
        except sign_in.WrongCredentials:
            raise WrongPassword() from None

    async def _issue(self, person: Person, user_agent: str | None) -> IssuedSession:
        token, _ = new_token(SESSION_PREFIX)
        session_id, expires = await self._store.new_session(
            person.id, token, self._settings.session_days, user_agent
        )
        return IssuedSession(person, str(session_id), token, expires)
