"""`pinned`: the admin command line. `pinned keys --help` for key management."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from devstack import keys
from shared.api_keys import QUICKSTART_SCOPES, Scope
from shared.settings import DatabaseSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinned", description="Pinned Events admin CLI")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="area", required=True)
    key_cmds = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)

    create = key_cmds.add_parser("create", help="create a key; its secret is shown once")
    create.add_argument("--account", type=int, required=True)
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'CMS sync'")
    create.add_argument(
        "--scope",
        action="append",
        choices=[s.value for s in Scope],
        help="repeat per scope (default: channels:read, events:create)",
    )
    create.add_argument("--expires-in-days", type=int)

    listing = key_cmds.add_parser("list", help="keys of an account, without secrets")
    listing.add_argument("--account", type=int, required=True)

    revoke = key_cmds.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("prefix")
    revoke.add_argument("--reason", required=True)

    rotate = key_cmds.add_parser("rotate", help="new secret; the old one keeps working a while")
    rotate.add_argument("prefix")
    rotate.add_argument("--overlap-hours", type=float, default=24.0)
    return parser  # fmt: skip


async def _with_db(action: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    conn: asyncpg.Connection = await asyncpg.connect(DatabaseSettings().url)
    try:
        return await action(conn)
    finally:
        await conn.close()


def _run(args: argparse.Namespace) -> Any:
    actor = f"cli:{getpass.getuser()}"
    if args.action == "create":
        scopes = tuple(Scope(s) for s in args.scope) if args.scope else QUICKSTART_SCOPES
        expires = (datetime.now(UTC) + timedelta(days=args.expires_in_days)
                   if args.expires_in_days else None)  # fmt: skip
        return _with_db(lambda c: keys.issue(c, args.account, args.name, scopes, expires))
    if args.action == "list":
        return _with_db(lambda c: keys.listing(c, args.account))
    if args.action == "revoke":
        return _with_db(lambda c: keys.revoke(c, args.prefix, args.reason, actor))
    return _with_db(
        lambda c: keys.rotate(c, args.prefix, timedelta(hours=args.overlap_hours), actor)
    )


def _print(args: argparse.Namespace, result: Any) -> None:
    if isinstance(result, keys.IssuedKey):
        data: Any = {"id": str(result.id), "key": result.token}
        human = (f"key {result.token}\n(shown once: store it in your secret manager now; "
                 "only its hash is kept)")  # fmt: skip
    elif isinstance(result, list):
        data = result
        human = (
            "\n".join(
                f"{k['prefix']}  {k['status']:<8} {k['name']:<24} {','.join(k['scopes']):<40} "
                f"last used {k['last_used_at'] or 'never'}  requests {k['request_count']}"
                + (f"  ({k['revoked_reason']} by {k['revoked_by']})" if k["revoked_reason"] else "")
                for k in result
            )
            or "no keys"
        )
    else:
        data, human = {"ok": True}, "done"
    print(json.dumps(data, default=str, indent=2) if args.json else human)


def main() -> int:
    args = _parser().parse_args()
    try:
        _print(args, asyncio.run(_run(args)))
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
