"""The developer portal's sessions on the real gateway: an invitation used once, a session
cookie that scripts cannot read and only /developers receives, a new session at every
sign-in, CSRF tokens on every form, sign-in lockout, a password change that ends the other
sessions, a disabled account's sessions ended at once, and the two kinds of credential never
crossing: an API key is no portal session, a portal cookie authorizes no API."""

from __future__ import annotations

import asyncpg
import httpx

from devstack.stack import Servers, ServiceProcess
from shared.adapters import accounts
from shared.adapters.postgres import connect
from tests.integration.conftest import Tenant
from tests.integration.portal_support import (
    PASSWORD,
    PORTAL,
    SESSION_COOKIE,
    accept_invitation,
    csrf_of,
    new_owner,
    post_form,
    sign_in,
    signed_in_owner,
)


async def test_an_owner_is_onboarded_without_sql(
    browser: httpx.AsyncClient, stack: Servers, db: asyncpg.Pool
) -> None:
    owner = await new_owner(stack.database_url)
    await accept_invitation(browser, owner)
    again = await browser.get(owner.invitation_path, follow_redirects=True)
    assert again.status_code == 404  # used once
    assert "cannot be used" in again.text

    signed = await sign_in(browser, owner.email)
    assert signed.status_code == 303
    first = await browser.get(f"{PORTAL}/keys")
    assert first.headers["location"] == f"{PORTAL}/setup"  # setup on the first sign-in
    fields = {"name": "Riverside Hall", "channelName": "Riverside events"}
    setup = await post_form(browser, f"{PORTAL}/setup", f"{PORTAL}/setup", fields)
    assert setup.headers["location"] == f"{PORTAL}/keys"
    keys = await browser.get(f"{PORTAL}/keys")
    assert keys.status_code == 200
    assert "Riverside Hall" in keys.text
    channel = await db.fetchval(
        "SELECT name FROM channels WHERE owner_account_id = $1", owner.account_id
    )
    assert channel == "Riverside events"


async def test_the_session_cookie_is_httponly_samesite_and_scoped_to_the_portal(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    owner = await new_owner(stack.database_url)
    await accept_invitation(browser, owner)
    signed = await sign_in(browser, owner.email)
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/developers"} <= attributes
    assert "secure" not in attributes  # plain HTTP here; over TLS it is Secure (next test)
    assert signed.cookies[SESSION_COOKIE].startswith("pds_")


async def test_the_cookie_is_secure_when_the_page_came_over_tls(
    browser: httpx.AsyncClient,
) -> None:
    # The gateway trusts 127.0.0.1 as its proxy, as one behind a TLS-terminating one would.
    page = await browser.get(f"{PORTAL}/signin", headers={"X-Forwarded-Proto": "https"})
    cookie = page.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "samesite=strict" in cookie  # the sign-in form's double-submit token


async def test_every_sign_in_starts_a_new_session_and_ends_the_old_one(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    owner = await signed_in_owner(browser, stack.database_url)
    before = browser.cookies[SESSION_COOKIE]
    assert (await sign_in(browser, owner.email)).status_code == 303
    after = browser.cookies[SESSION_COOKIE]
    assert after != before
    async with httpx.AsyncClient(base_url=str(browser.base_url)) as other:
        other.cookies.set(SESSION_COOKIE, before, path=PORTAL)
        stale = await other.get(f"{PORTAL}/keys")
    assert stale.status_code == 303
    assert stale.headers["location"].startswith(f"{PORTAL}/signin")


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    browser: httpx.AsyncClient, stack: Servers, db: asyncpg.Pool
) -> None:
    owner = await signed_in_owner(browser, stack.database_url)
    for fields in ({"name": "forged"}, {"name": "forged", "csrf": "not-the-token"}):
        refused = await browser.post(f"{PORTAL}/keys", data={**fields, "scopes": "events:create"})
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
    signin_forged = await browser.post(
        f"{PORTAL}/signin", data={"email": owner.email, "password": PASSWORD}
    )
    assert signin_forged.status_code == 403
    count = await db.fetchval(
        "SELECT count(*) FROM api_keys WHERE account_id = $1", owner.account_id
    )
    assert count == 0


async def test_wrong_passwords_lock_the_sign_in_for_a_while(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    owner = await new_owner(stack.database_url)
    await accept_invitation(browser, owner)
    answers = [(await sign_in(browser, owner.email, "wrong guess")).status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = await sign_in(browser, owner.email)  # the right one, while locked
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == 15 * 60
    assert "paused" in locked.text
    unknown = await sign_in(browser, "nobody@example.com", "wrong guess")
    assert unknown.status_code == 401  # an unknown address reads as a wrong password


async def test_a_new_password_ends_the_other_sessions(
    browser: httpx.AsyncClient, stack: Servers, services: dict[str, ServiceProcess]
) -> None:
    owner = await signed_in_owner(browser, stack.database_url)
    async with httpx.AsyncClient(base_url=services["gateway"].url) as laptop:
        assert (await sign_in(laptop, owner.email)).status_code == 303
        new = "a brand new passphrase"
        fields = {"current": PASSWORD, "password": new, "confirmation": new}
        changed = await post_form(browser, f"{PORTAL}/password", f"{PORTAL}/password", fields)
        assert changed.status_code == 303
        assert (await browser.get(f"{PORTAL}/keys")).status_code == 200  # a fresh session here
        assert (await laptop.get(f"{PORTAL}/keys")).status_code == 303  # signed out there
        assert (await sign_in(laptop, owner.email, new)).status_code == 303


async def test_a_disabled_account_is_signed_out_at_once(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    owner = await signed_in_owner(browser, stack.database_url)
    conn = await connect(stack.database_url)
    try:
        await accounts.set_status(conn, owner.account_id, "disabled", "unpaid", "tests")
    finally:
        await conn.close()
    assert (await browser.get(f"{PORTAL}/keys")).status_code == 303
    refused = await sign_in(browser, owner.email)
    assert refused.status_code == 401
    assert "disabled" in refused.text


async def test_an_api_key_is_never_a_portal_session(
    browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    with_header = await browser.get(f"{PORTAL}/keys", headers=tenant.owner_headers)
    assert with_header.status_code == 303
    assert with_header.headers["location"].startswith(f"{PORTAL}/signin")
    browser.cookies.set(SESSION_COOKIE, tenant.owner_key, path=PORTAL)
    assert (await browser.get(f"{PORTAL}/keys")).status_code == 303


async def test_a_portal_cookie_never_authorizes_the_api(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    await signed_in_owner(browser, stack.database_url)
    session = browser.cookies[SESSION_COOKIE]
    cookie = {"Cookie": f"{SESSION_COOKIE}={session}"}
    for path in ("/api/developer/v1/keys", "/api/public/v1/channels"):
        answer = await browser.get(path, headers=cookie)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"


async def test_portal_pages_carry_the_security_headers_and_the_api_does_not_change(
    browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    page = await browser.get(f"{PORTAL}/signin")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert 'name="csrf"' in page.text
    api = await browser.get("/api/public/v1/channels", headers=tenant.headers)
    assert "content-security-policy" not in api.headers  # no portal middleware on the API
    assert "set-cookie" not in api.headers


async def test_sign_in_never_redirects_off_the_portal(
    browser: httpx.AsyncClient, stack: Servers
) -> None:
    owner = await new_owner(stack.database_url)
    await accept_invitation(browser, owner)
    page = await browser.get(f"{PORTAL}/signin", params={"next": "//evil.example/x"})
    answer = await browser.post(
        f"{PORTAL}/signin",
        data={"csrf": csrf_of(page), "email": owner.email, "password": PASSWORD,
              "next": "https://evil.example/"},
    )  # fmt: skip
    assert answer.headers["location"] == PORTAL
