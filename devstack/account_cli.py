"""`pinned accounts ...` and `pinned operators ...`: customer accounts and the people who sign
in to the developer portal, without SQL.

Creating an account prints its owner's one-time invitation link, once: the database keeps
only its hash (a reader of it could otherwise take the account over). `show` says whether
one is pending and until when; `invite` makes a new link (the old one stops working).
"""

from __future__ import annotations

import argparse
import getpass
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from devstack.stack import RUN
from shared.adapters import accounts
from shared.adapters.accounts import Invitation
from shared.core.settings import PortalSettings


@dataclass(frozen=True)
class Invited:
    """Someone who can now set a password through `link` (shown to the operator once);
    `again` is the command that makes a new link."""

    what: str
    record: dict[str, Any]
    invitation: Invitation
    link: str
    again: str


@dataclass(frozen=True)
class AccountDetails:
    account: dict[str, Any]
    users: list[dict[str, Any]]
    links: dict[int, Invitation]
    base_url: str


def add_commands(sub: Any) -> None:
    cmds = sub.add_parser("accounts", help="customer accounts and their owners' invitations")
    actions = cmds.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new account; prints its owner's invitation")
    create.add_argument("--name", required=True, help="the customer's name, e.g. 'Acme Events'")
    create.add_argument("--owner-email", required=True, help="who signs in to the portal")
    actions.add_parser("list", help="every account: status, owner, setup, channels, keys")
    show = actions.add_parser("show", help="one account, its users and pending invitations")
    show.add_argument("account", type=int)
    disable = actions.add_parser(
        "disable", help="stop the account: its keys (within 2 s), webhooks and portal sessions"
    )
    disable.add_argument("account", type=int)
    disable.add_argument("--reason", required=True)
    enable = actions.add_parser("enable", help="let a disabled account work again")
    enable.add_argument("account", type=int)
    invite = actions.add_parser(
        "invite", help="a new invitation link for the owner; the previous one stops working"
    )
    invite.add_argument("account", type=int)

    operators = sub.add_parser("operators", help="platform operators in the portal")
    op_actions = operators.add_subparsers(dest="action", required=True)
    op_create = op_actions.add_parser("create", help="an operator; prints their invitation")
    op_create.add_argument("--email", required=True)
    op_actions.add_parser("list", help="operators and their pending invitations")
    op_invite = op_actions.add_parser(
        "invite", help="a new invitation link for an operator; the previous one stops working"
    )
    op_invite.add_argument("--email", required=True)


def portal_url() -> str:
    """Where the portal is reached: PORTAL_PUBLIC_URL, else `make run`'s gateway (without
    PINNED_PORT_OFFSET, like the command line's other defaults)."""
    configured = PortalSettings().public_url
    return (configured or f"http://127.0.0.1:{RUN.base_service_ports['gateway']}").rstrip("/")


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> Any:
    actor = f"cli:{getpass.getuser()}"
    lifetime = timedelta(hours=PortalSettings().invitation_hours)
    if args.area == "operators":
        return await _operators(conn, args, actor, lifetime)
    if args.action == "create":
        made = await accounts.create(conn, args.name, args.owner_email, actor, lifetime)
        again = f"pinned accounts invite {made.account['id']}"
        return _invited(f"account {made.account['id']}", made.account, made.invitation, again)
    if args.action == "list":
        return await accounts.listing(conn)
    if args.action in ("disable", "enable"):
        status: accounts.AccountStatus = "disabled" if args.action == "disable" else "active"
        reason = getattr(args, "reason", None)
        return [await accounts.set_status(conn, args.account, status, reason, actor)]
    if args.action == "invite":
        owner = await accounts.owner_of(conn, args.account)
        what, again = f"owner of account {args.account}", f"pinned accounts invite {args.account}"
        return await _invite_again(conn, owner, actor, lifetime, what, again)
    return await _details(conn, args.account)


async def _operators(
    conn: asyncpg.Connection, args: argparse.Namespace, actor: str, lifetime: timedelta
) -> Any:
    again = f"pinned operators invite --email {getattr(args, 'email', '')}"
    if args.action == "create":
        user, invitation = await accounts.create_operator(conn, args.email, actor, lifetime)
        return _invited(f"operator {user['email']}", user, invitation, again)
    if args.action == "invite":
        user = await accounts.operator_by_email(conn, args.email)
        return await _invite_again(conn, user, actor, lifetime, f"operator {user['email']}", again)
    return await _details(conn, None)


async def _invite_again(
    conn: asyncpg.Connection,
    user: dict[str, Any],
    actor: str,
    lifetime: timedelta,
    what: str,
    again: str,
) -> Invited:
    """A new link for someone without a password yet; the previous one stops working."""
    if user["has_password"]:
        raise accounts.AccountConflict(
            f"{user['email']} has set a password already; they sign in with it"
        )
    invitation = await accounts.invite(conn, user["id"], actor, lifetime)
    return _invited(what, user, invitation, again)


async def _details(conn: asyncpg.Connection, account_id: int | None) -> AccountDetails:
    account = await accounts.get(conn, account_id) if account_id is not None else {}
    users = await accounts.users(conn, account_id)
    links = {}
    for user in users:
        pending = await accounts.pending_invitation(conn, user["id"])
        if pending is not None:
            links[user["id"]] = pending
    return AccountDetails(account, users, links, portal_url())


def _invited(what: str, record: dict[str, Any], invitation: Invitation, again: str) -> Invited:
    return Invited(what, record, invitation, portal_url() + invitation.path(), again)


def render(result: Any) -> tuple[Any, str] | None:
    """(data, text) for account results, or None when the result is not one."""
    if isinstance(result, Invited):
        data = {**result.record, "invitationLink": result.link,
                "invitationExpiresAt": result.invitation.expires_at}  # fmt: skip
        until = f"{result.invitation.expires_at:%Y-%m-%d %H:%M %Z}"
        return data, (
            f"{result.what}: invitation link (one use, until {until}):\n  {result.link}\n"
            f"send it to them; it is shown only now ('{result.again}' makes a new one)"
        )
    if isinstance(result, AccountDetails):
        return _details_data(result), _details_text(result)
    first = result[0] if isinstance(result, list) and result else None
    if isinstance(first, dict) and "active_keys" in first:
        return result, "\n".join(_account_line(a) for a in result)
    return None


def _account_line(a: dict[str, Any]) -> str:
    setup = "set up" if a["setup_completed_at"] else "setup pending"
    why = f" ({a['status_reason']})" if a["status_reason"] else ""
    return (
        f"{a['id']:>6}  {a['status']:<8} {a['name'][:30]:<30} owner {a['owner_email'] or '-':<30}"
        f" {setup:<13} channels {a['channels']:<3} active keys {a['active_keys']}{why}"
    )


def _details_data(details: AccountDetails) -> dict[str, Any]:
    users = [
        {**u, "invitationExpiresAt": details.links[u["id"]].expires_at}
        if u["id"] in details.links else u
        for u in details.users
    ]  # fmt: skip
    return {**details.account, "users": users} if details.account else {"operators": users}


def _details_text(details: AccountDetails) -> str:
    lines = [_account_line(details.account)] if details.account else []
    for user in details.users:
        state = "password set" if user["has_password"] else "invited"
        lines.append(f"  {user['role']:<8} {user['email']:<32} {state}")
        if user["id"] in details.links:
            invitation = details.links[user["id"]]
            again = (
                f"pinned accounts invite {details.account['id']}"
                if details.account
                else f"pinned operators invite --email {user['email']}"
            )
            lines.append(
                f"    invitation pending until {invitation.expires_at:%Y-%m-%d %H:%M %Z}"
                f" (its link was shown when made; '{again}' makes a new one)"
            )
    return "\n".join(lines) or "nothing to show"
