"""Test helpers for the developer portal: an account made as an operator makes it, its owner
signed in through the real pages (invitation, password, sign-in, setup), and forms posted
the way a browser posts them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape

import asyncpg
import httpx

from shared.adapters import accounts
from shared.adapters.postgres import connect

PORTAL = "/developers"
PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "pinned_portal_session"


@dataclass(frozen=True)
class Owner:
    account_id: int
    email: str
    invitation_path: str


async def new_owner(database_url: str, name: str = "Acme Events") -> Owner:
    """An account and its owner's invitation, as `pinned accounts create` makes them."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    conn = await connect(database_url)
    try:
        made = await accounts.create(conn, name, email, actor="tests")
    finally:
        await conn.close()
    return Owner(made.account["id"], email, made.invitation.path())


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, f"no CSRF field in {page.url}: {page.text[:300]}"
    return unescape(found.group(1))


async def post_form(
    client: httpx.AsyncClient, page_path: str, action: str, fields: Mapping[str, str | list[str]]
) -> httpx.Response:
    """Open `page_path` and post one of its forms to `action` with its CSRF token."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    return await client.post(action, data={"csrf": csrf_of(page), **fields})


async def accept_invitation(
    client: httpx.AsyncClient, owner: Owner, password: str = PASSWORD
) -> None:
    opened = await client.get(owner.invitation_path)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"{PORTAL}/invitation"  # the token leaves the URL
    done = await post_form(client, f"{PORTAL}/invitation", f"{PORTAL}/invitation",
                           {"displayName": "Ada", "password": password,
                            "confirmation": password})  # fmt: skip
    assert done.status_code == 303, done.text[:500]
    assert done.headers["location"] == f"{PORTAL}/signin?done=password-set"


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await post_form(
        client, f"{PORTAL}/signin", f"{PORTAL}/signin", {"email": email, "password": password}
    )


async def signed_in_owner(client: httpx.AsyncClient, database_url: str) -> Owner:
    """A new account's owner, invited, with a password, signed in and set up."""
    owner = await new_owner(database_url)
    await accept_invitation(client, owner)
    assert (await sign_in(client, owner.email)).status_code == 303
    setup = await post_form(client, f"{PORTAL}/setup", f"{PORTAL}/setup",
                            {"name": "Acme Events", "channelName": "Acme main"})  # fmt: skip
    assert setup.headers["location"] == f"{PORTAL}/keys", setup.text[:500]
    return owner


async def key_events(db: asyncpg.Pool, account_id: int) -> list[tuple[str, str]]:
    rows = await db.fetch(
        "SELECT action, actor FROM key_events WHERE account_id = $1 ORDER BY id", account_id
    )
    return [(r["action"], r["actor"]) for r in rows]
