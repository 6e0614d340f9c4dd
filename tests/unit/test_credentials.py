"""Unit tests of the credentials both people and the developer portal use: token kinds,
CSRF tokens per purpose, redirects that stay on the site (hypothesis), the security headers,
key scopes that never mix owner and public ones, and the sign-in guard on fakes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters import sign_in
from shared.adapters.rate_limits import Limit, Verdict
from shared.domain.api_keys import OWNER_SCOPES, PUBLIC_SCOPES, InvalidScopes, Scope, check_scopes
from shared.domain.passwords import Passwords
from shared.domain.tokens import (
    INVITATION_PREFIX,
    PORTAL_SESSION_PREFIX,
    SESSION_PREFIX,
    csrf_token,
    new_form_token,
    new_token,
    well_formed,
)
from shared.runtime.browser_security import content_security_policy, safe_next


def test_a_token_of_one_kind_is_never_taken_for_another() -> None:
    portal, _ = new_token(PORTAL_SESSION_PREFIX)
    assert well_formed(portal, PORTAL_SESSION_PREFIX)
    assert not well_formed(portal, SESSION_PREFIX)
    assert not well_formed(portal, INVITATION_PREFIX)
    assert not well_formed("pe_test_abcdefgh_" + "a" * 38, PORTAL_SESSION_PREFIX)  # an API key


def test_csrf_tokens_differ_per_session_and_per_purpose() -> None:
    session, _ = new_token(PORTAL_SESSION_PREFIX)
    other, _ = new_token(PORTAL_SESSION_PREFIX)
    assert csrf_token(session, b"portal") == csrf_token(session, b"portal")
    assert csrf_token(session, b"portal") != csrf_token(other, b"portal")
    assert csrf_token(session, b"portal") != csrf_token(session, b"people")
    assert new_form_token() != new_form_token()


@given(st.text(max_size=80))
def test_a_redirect_never_leaves_the_site(raw: str) -> None:
    target = safe_next(raw, "/developers", within="/developers")
    assert target.startswith("/developers")
    assert not target.startswith("//")
    assert "\\" not in target
    assert "\n" not in target


@pytest.mark.parametrize(
    "raw",
    ["//evil.example/developers", "https://evil.example", "/developers\\@evil", "/me", "",
     "/developers\r\nSet-Cookie: x=1"],
)  # fmt: skip
def test_known_open_redirect_shapes_fall_back(raw: str) -> None:
    assert safe_next(raw, "/developers/keys", within="/developers") == "/developers/keys"


def test_pages_with_scripts_allow_only_their_own_files() -> None:
    policy = content_security_policy(scripts=True)
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in content_security_policy(scripts=False)


def test_owner_and_public_scopes_never_mix() -> None:
    check_scopes(OWNER_SCOPES)
    check_scopes(PUBLIC_SCOPES)
    check_scopes([Scope.AUDIT_READ])
    with pytest.raises(InvalidScopes, match="never both"):
        check_scopes([Scope.KEYS_MANAGE, Scope.EVENTS_CREATE])
    with pytest.raises(InvalidScopes, match="at least one"):
        check_scopes([])
    assert "media:write" not in {str(s) for s in Scope}


class _Rows:
    """The credentials table in memory, with its lockout arithmetic."""

    def __init__(self, stored: str) -> None:
        self.row: dict[str, Any] = {"id": 7, "password_hash": stored, "failures": 0}
        self.locked = False

    async def find(self, key: str) -> dict[str, Any] | None:
        return {**self.row, "locked": self.locked} if key == "ada@example.com" else None

    async def failed(self, user_id: int, lock_after: int, lock_minutes: int) -> bool:
        self.row["failures"] += 1
        self.locked = self.row["failures"] >= lock_after
        return self.locked

    async def succeeded(self, user_id: int, new_hash: str | None) -> None:
        self.row["failures"] = 0


class _Limiter:
    def __init__(self, allowed: bool = True) -> None:
        self.allowed = allowed
        self.seen: list[Limit] = []

    async def check(self, limits: list[Limit]) -> Verdict:
        self.seen.extend(limits)
        return Verdict(self.allowed, {"Retry-After": "30"} if not self.allowed else {})


def _guard(rows: _Rows, limiter: _Limiter, passwords: Passwords) -> sign_in.SignInGuard:
    policy = sign_in.SignInPolicy("portal-signin", 30, 10, 3, 15)
    return sign_in.SignInGuard(rows, passwords, limiter, policy)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(time_cost=1, memory_kib=8_192, parallelism=1)


async def test_the_guard_locks_after_a_run_of_wrong_passwords(passwords: Passwords) -> None:
    rows = _Rows(await passwords.hash("correct horse battery"))
    limiter = _Limiter()
    guard = _guard(rows, limiter, passwords)
    heard: list[int] = []

    async def wrong(user_id: int) -> None:
        heard.append(user_id)

    assert await guard.check("ada@example.com", "correct horse battery", "10.0.0.1") == 7
    for _ in range(2):
        with pytest.raises(sign_in.WrongCredentials):
            await guard.check("ada@example.com", "guess", "10.0.0.1", wrong)
    with pytest.raises(sign_in.LockedOut):
        await guard.check("ada@example.com", "guess", "10.0.0.1", wrong)
    with pytest.raises(sign_in.LockedOut):  # even the right password, while locked
        await guard.check("ada@example.com", "correct horse battery", "10.0.0.1")
    assert heard == [7, 7, 7]
    assert {limit.policy for limit in limiter.seen} == {"portal-signin-ip", "portal-signin-email"}
    assert all("ada" not in limit.subject for limit in limiter.seen)  # no address in buckets


async def test_an_unknown_address_is_refused_like_a_wrong_password(passwords: Passwords) -> None:
    guard = _guard(_Rows(await passwords.hash("pw-pw-pw-pw")), _Limiter(), passwords)
    with pytest.raises(sign_in.WrongCredentials) as unknown:
        await guard.check("nobody@example.com", "pw-pw-pw-pw", "10.0.0.1")
    with pytest.raises(sign_in.WrongCredentials) as wrong:
        await guard.check("ada@example.com", "not it", "10.0.0.1")
    assert unknown.value.message == wrong.value.message


async def test_over_the_attempt_quota_nothing_is_checked(passwords: Passwords) -> None:
    rows = _Rows(await passwords.hash("pw-pw-pw-pw"))
    guard = _guard(rows, _Limiter(allowed=False), passwords)
    with pytest.raises(sign_in.TooManyAttempts) as refused:
        await guard.check("ada@example.com", "pw-pw-pw-pw", "10.0.0.1")
    assert refused.value.headers == {"Retry-After": "30"}
    assert rows.row["failures"] == 0
