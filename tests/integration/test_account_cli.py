"""`pinned accounts` and `pinned operators`: an account made without SQL, its owner's one-time
invitation (printed, shown again until used, replaced by `invite`), disabling an account
(its keys stop within the access bound); and the CLI's polish: `--json` after the command,
keys that would mix owner and public scopes refused, no `media:write`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from devstack.stack import Servers
from shared.adapters import accounts
from tests.integration.conftest import Tenant, answer_after_access_change
from tests.integration.test_key_cli import auth, pinned

CHANNELS = "/api/public/v1/channels"


def run_json(stack: Servers, *args: str) -> Any:
    """The CLI's JSON answer, with --json after the command (as people type it)."""
    done = pinned(stack, *args, "--json", for_people=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def new_email(who: str = "owner") -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


async def test_an_account_is_created_with_its_owners_invitation_shown_once_stored_hashed(
    stack: Servers, db: asyncpg.Pool
) -> None:
    email = new_email()
    made = run_json(stack, "accounts", "create", "--name", "Acme Events", "--owner-email", email)
    link = made["invitationLink"]
    assert "/developers/invitation?token=pdi_" in link
    token = link.split("token=")[1]

    shown = run_json(stack, "accounts", "show", str(made["id"]))
    assert shown["name"] == "Acme Events"
    assert shown["status"] == "active"
    assert shown["users"][0]["email"] == email
    assert "invitationLink" not in shown["users"][0], "shown once: only its hash is kept"
    assert shown["users"][0]["invitationExpiresAt"] == made["invitationExpiresAt"]
    stored = await db.fetch(
        "SELECT i.* FROM portal_invitations i JOIN portal_users u ON u.id = i.user_id"
        " WHERE u.account_id = $1",
        made["id"],
    )
    assert token not in str([dict(row) for row in stored]), "no usable token in the database"

    listed = run_json(stack, "accounts", "list")
    assert any(a["id"] == made["id"] and a["owner_email"] == email for a in listed)
    text = pinned(stack, "accounts", "show", str(made["id"]), for_people=True).stdout
    assert "token=" not in text
    assert "invitation pending until" in text
    assert f"pinned accounts invite {made['id']}" in text

    async with db.acquire() as conn:
        await accounts.accept_invitation(conn, token, "argon2-hash-stand-in", "Ada")
    after = run_json(stack, "accounts", "show", str(made["id"]))
    assert "invitationExpiresAt" not in after["users"][0]
    assert after["users"][0]["has_password"] is True
    again = pinned(stack, "accounts", "invite", str(made["id"]))
    assert again.returncode == 2
    assert "has set a password" in again.stderr


async def test_a_new_invitation_replaces_the_old_link(stack: Servers, db: asyncpg.Pool) -> None:
    made = run_json(stack, "accounts", "create", "--name", "Beta", "--owner-email", new_email())
    old = made["invitationLink"].split("token=")[1]
    renewed = run_json(stack, "accounts", "invite", str(made["id"]))
    new = renewed["invitationLink"].split("token=")[1]
    assert new != old
    async with db.acquire() as conn:
        assert (await accounts.invited_user(conn, new))["account_id"] == made["id"]
        for token in (old, "pdi_" + "x" * 43):
            try:
                await accounts.invited_user(conn, token)
            except accounts.InvitationInvalid:
                continue
            raise AssertionError(f"{token} still opens the invitation")


async def test_an_owner_email_is_one_user_whatever_its_case(stack: Servers) -> None:
    email = new_email()
    assert (
        pinned(stack, "accounts", "create", "--name", "A", "--owner-email", email).returncode == 0
    )
    twice = pinned(stack, "accounts", "create", "--name", "B", "--owner-email", email.upper())
    assert twice.returncode == 2
    assert "exists already" in twice.stderr


async def test_a_new_account_gets_channels_and_keys_without_sql(
    stack: Servers, api: httpx.AsyncClient
) -> None:
    made = run_json(stack, "accounts", "create", "--name", "Gamma", "--owner-email", new_email())
    account = str(made["id"])
    channel = run_json(stack, "channels", "create", "--account", account, "--name", "Main")[0]
    key = run_json(stack, "keys", "create", "--account", account, "--name", "CMS sync")["key"]
    listed = await api.get(CHANNELS, headers=auth(key))
    assert [c["id"] for c in listed.json()["docs"]] == [channel["id"]]


async def test_disabling_an_account_stops_its_keys_within_the_access_bound(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    async def channels() -> httpx.Response:
        return await api.get(CHANNELS, headers=tenant.headers)

    assert (await channels()).status_code == 200
    account = str(tenant.account_id)
    disabled = run_json(stack, "accounts", "disable", account, "--reason", "unpaid invoice")
    assert (disabled[0]["status"], disabled[0]["status_reason"]) == ("disabled", "unpaid invoice")
    assert (await answer_after_access_change(channels, 401)).status_code == 401
    assert (await api.get(CHANNELS, headers=tenant.owner_headers)).status_code == 401
    again = pinned(stack, "accounts", "disable", account, "--reason", "twice")
    assert again.returncode == 2
    assert "already disabled" in again.stderr

    run_json(stack, "accounts", "enable", account)
    assert (await answer_after_access_change(channels, 200)).status_code == 200


async def test_operators_are_invited_without_an_account(stack: Servers) -> None:
    email = new_email("operator")
    made = run_json(stack, "operators", "create", "--email", email)
    assert made["role"] == "operator"
    assert made["account_id"] is None
    listed = run_json(stack, "operators", "list")["operators"]
    mine = next(u for u in listed if u["email"] == email)
    assert mine["invitationExpiresAt"] == made["invitationExpiresAt"]
    renewed = run_json(stack, "operators", "invite", "--email", email.upper())
    assert renewed["invitationLink"] != made["invitationLink"]
    assert pinned(stack, "operators", "invite", "--email", new_email()).returncode == 2


async def test_json_goes_before_or_after_the_command(stack: Servers, tenant: Tenant) -> None:
    account = str(tenant.account_id)
    before = pinned(stack, "keys", "list", "--account", account)  # --json before the command
    after = pinned(stack, "keys", "list", "--account", account, "--json", for_people=True)
    assert json.loads(before.stdout) == json.loads(after.stdout)
    people = pinned(stack, "keys", "list", "--account", account, for_people=True)
    assert not people.stdout.lstrip().startswith("[")
    created = json.loads(after.stdout)[0]["created_at"]  # times in ISO 8601, as JSON has them
    assert "T" in created, created
    assert datetime.fromisoformat(created).tzinfo is not None, created


async def test_a_key_never_mixes_owner_and_public_scopes(stack: Servers, tenant: Tenant) -> None:
    mixed = pinned(stack, "keys", "create", "--account", str(tenant.account_id), "--name", "x",
                   "--scope", "keys:manage", "--scope", "events:create")  # fmt: skip
    assert mixed.returncode == 2
    assert "never both" in mixed.stderr
    owner_only = pinned(stack, "keys", "create", "--account", str(tenant.account_id),
                        "--name", "audit reader", "--scope", "audit:read")  # fmt: skip
    assert owner_only.returncode == 0, owner_only.stderr
    media = pinned(stack, "keys", "create", "--account", str(tenant.account_id), "--name", "m",
                   "--scope", "media:write")  # fmt: skip
    assert media.returncode == 2
    assert "invalid choice" in media.stderr
