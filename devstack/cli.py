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

from devstack import dlq, keys
from shared.api_keys import QUICKSTART_SCOPES, Scope
from shared.settings import DatabaseSettings, KafkaSettings


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

    dlq_cmds = sub.add_parser("dlq", help="dead-lettered messages").add_subparsers(
        dest="action", required=True
    )
    dlq_cmds.add_parser("list", help="what was dead-lettered, from where, and why")
    replay = dlq_cmds.add_parser("replay", help="send messages back to their origin topic")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead-lettered message")
    which.add_argument(
        "--id",
        action="append",
        dest="ids",
        help="a PARTITION:OFFSET id from 'pinned dlq list' (repeatable)",
    )
    return parser  # fmt: skip


async def _with_db(action: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    conn: asyncpg.Connection = await asyncpg.connect(DatabaseSettings().url)
    try:
        return await action(conn)
    finally:
        await conn.close()


async def _dlq(args: argparse.Namespace) -> Any:
    settings = KafkaSettings()
    letters = await dlq.read_all(settings)
    if args.action == "list":
        return letters
    chosen = letters if args.all else [d for d in letters if d.id in set(args.ids)]

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"replayed {done}/{total}", end="\r", file=sys.stderr, flush=True)

    return {"replayed": await dlq.replay(settings, chosen, progress)}


def _run(args: argparse.Namespace) -> Any:
    if args.area == "dlq":
        return _dlq(args)
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
    data, human = _render(result)
    print(json.dumps(data, default=str, indent=2) if args.json else human)


def _render(result: Any) -> tuple[Any, str]:
    """(machine-readable data, text for people) for each kind of command result."""
    if isinstance(result, keys.IssuedKey):
        return {"id": str(result.id), "key": result.token}, (
            f"key {result.token}\n(shown once: store it in your secret manager now; "
            "only its hash is kept)"
        )
    if isinstance(result, dict) and "replayed" in result:
        return result, f"replayed {result['replayed']} message(s) to their origin topics"
    if isinstance(result, list) and result and isinstance(result[0], dlq.DeadLetter):
        return [_letter_data(d) for d in result], "\n".join(_letter_line(d) for d in result)
    if isinstance(result, list):
        return result, "\n".join(_key_line(k) for k in result) or "nothing to show"
    return {"ok": True}, "done"


def _letter_data(letter: dlq.DeadLetter) -> dict[str, Any]:
    return {"id": letter.id, **{k: v for k, v in vars(letter).items() if k != "record"}}


def _letter_line(d: dlq.DeadLetter) -> str:
    return (
        f"{d.id:<8} from {d.origin_topic}[{d.origin_partition}]@{d.origin_offset} "
        f"({d.group}) request {d.request_id or '-'}: {d.reason[:120]}"
    )


def _key_line(k: dict[str, Any]) -> str:
    revoked = f"  ({k['revoked_reason']} by {k['revoked_by']})" if k["revoked_reason"] else ""
    return (
        f"{k['prefix']}  {k['status']:<8} {k['name']:<24} {','.join(k['scopes']):<40} "
        f"last used {k['last_used_at'] or 'never'}  requests {k['request_count']}{revoked}"
    )


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
