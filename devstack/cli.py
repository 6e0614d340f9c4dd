"""`pinned`: the admin command line: accounts, keys, integrations, channels, dead letters,
status.

`pinned <area> --help` for each; `--json` (before or after the command) for machine-readable
output.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable

from devstack import account_cli, integration_cli, ops_cli
from shared.adapters import accounts, integrations, key_store
from shared.adapters import dead_letters as dlq
from shared.adapters.postgres import connect
from shared.core.settings import DatabaseSettings, KafkaSettings
from shared.domain.api_keys import OWNER_SCOPES, QUICKSTART_SCOPES, InvalidScopes, Scope
from shared.domain.senders.conversion import NotReplayable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinned", description="Pinned Events admin CLI")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="area", required=True)
    account_cli.add_commands(sub)
    key_cmds = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)

    create = key_cmds.add_parser("create", help="create a key; its secret is shown once")
    create.add_argument("--account", type=int, required=True)
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'CMS sync'")
    which = create.add_mutually_exclusive_group()
    which.add_argument(
        "--scope",
        action="append",
        choices=[s.value for s in Scope],
        help="repeat per scope (default: channels:read, events:create); public and owner "
        "scopes never mix in one key",
    )
    which.add_argument(
        "--owner",
        action="store_true",
        help="an owner key for the developer API: " + ", ".join(OWNER_SCOPES),
    )
    create.add_argument("--mode", choices=["test", "live"], default="test")
    create.add_argument("--expires-in-days", type=int)

    listing = key_cmds.add_parser("list", help="keys of an account, without secrets")
    listing.add_argument("--account", type=int, required=True)

    for action, text in (
        ("disable", "stop a key until enabled again"),
        ("enable", "let a disabled key work again"),
        ("history", "who created, disabled, rotated or revoked it, and why"),
    ):
        key_cmds.add_parser(action, help=text).add_argument("prefix")  # fmt: skip

    revoke = key_cmds.add_parser("revoke", help="revoke a key at once, for good")
    revoke.add_argument("prefix")
    revoke.add_argument("--reason", required=True)

    rotate = key_cmds.add_parser("rotate", help="new secret; the old one keeps working a while")
    rotate.add_argument("prefix")
    rotate.add_argument("--overlap-hours", type=float, default=24.0)

    integration_cli.add_commands(sub)
    ops_cli.add_commands(sub)

    dlq_cmds = sub.add_parser("dlq", help="dead-lettered messages").add_subparsers(
        dest="action", required=True
    )
    dlq_cmds.add_parser("list", help="what was dead-lettered, from where, and why")
    show = dlq_cmds.add_parser("show", help="one dead letter: every header and the payload")
    show.add_argument("id", help="a PARTITION:OFFSET id from 'pinned dlq list'")
    replay = dlq_cmds.add_parser("replay", help="send messages back to their origin topic")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--all", action="store_true", help="every dead letter not replayed yet (see --again)"
    )
    which.add_argument(
        "--id",
        action="append",
        dest="ids",
        help="a PARTITION:OFFSET id from 'pinned dlq list' (repeatable)",
    )
    replay.add_argument(
        "--again", action="store_true", help="with --all: those replayed before too"
    )
    _json_after_commands(parser)
    return parser  # fmt: skip


def _json_after_commands(parser: argparse.ArgumentParser) -> None:
    """Every command takes --json too (`pinned keys list --json`); SUPPRESS keeps a command
    that was not given it from resetting the one given before the command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                command.add_argument(
                    "--json",
                    action="store_true",
                    default=argparse.SUPPRESS,
                    help="machine-readable output",
                )
                _json_after_commands(command)


class StoreUnreachable(Exception):
    """PostgreSQL could not be reached or has no schema: said in one line, not a traceback."""


class BrokerUnreachable(Exception):
    """No Kafka broker answered: said in one line, not a traceback."""


# What aiokafka raises when no broker answers: at start (bootstrap) or on a request.
_BROKER_DOWN = (KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable)


def _where(url: str) -> str:
    """The database URL without its password, to name in an error."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path}"


async def _with_db(action: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    url = DatabaseSettings().url
    try:
        conn = await connect(url)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StoreUnreachable(
            f"cannot reach PostgreSQL at {_where(url)} (DATABASE_URL): {exc}. "
            "Is the stack up? `make run` starts one and prints the DATABASE_URL to use."
        ) from exc
    try:
        return await action(conn)
    except asyncpg.UndefinedTableError as exc:
        raise StoreUnreachable(
            f"PostgreSQL at {_where(url)} has no Pinned Events schema ({exc}): point "
            "DATABASE_URL at the stack's database; its services apply the migrations at start."
        ) from exc
    finally:
        await conn.close()


async def _with_kafka(work: Awaitable[Any]) -> Any:
    """`work`, with Kafka being unreachable said in one line (status, dead letters, and the
    replay of a delivery, which sends its command)."""
    try:
        return await work
    except _BROKER_DOWN as exc:
        servers = KafkaSettings().bootstrap_servers
        why = "no answer in time" if isinstance(exc, KafkaTimeoutError) else "no broker answered"
        raise BrokerUnreachable(
            f"cannot reach Kafka at {servers} (KAFKA_BOOTSTRAP_SERVERS): {why}. Is the stack "
            "up? `make run` starts one and prints the KAFKA_BOOTSTRAP_SERVERS to use."
        ) from exc


async def _dlq(args: argparse.Namespace) -> Any:
    """The topic first (one line when Kafka is unreachable), then the replays' record."""
    settings = KafkaSettings()
    letters = await dlq.read_all(settings)
    if args.action == "show":
        return dlq.details(dlq.chosen(letters, [args.id])[0])
    return await _with_db(lambda conn: _dlq_replays(conn, args, settings, letters))


async def _dlq_replays(
    conn: asyncpg.Connection,
    args: argparse.Namespace,
    settings: KafkaSettings,
    read: list[dlq.DeadLetter],
) -> Any:
    letters = await dlq.with_replays(conn, read)
    if args.action == "list":
        return letters
    if args.all:
        chosen = letters if args.again else dlq.not_replayed(letters)
    else:
        chosen = dlq.chosen(letters, args.ids)
    sent = 0

    def progress(done: int, total: int) -> None:
        nonlocal sent
        sent = done
        if not args.json:
            _progress_line("replayed", done, total)

    try:
        await dlq.replay(settings, chosen, progress)
    finally:  # what was sent is recorded, even when the broker fails half-way
        await dlq.mark_replayed(conn, chosen[:sent], f"cli:{getpass.getuser()}")
    return {"replayed": sent, "leftOut": len(letters) - len(chosen) if args.all else 0}


def _progress_line(what: str, done: int, total: int) -> None:
    """`what done/total` on stderr: rewritten in place on a terminal; elsewhere (a log, a
    pipe) a line at each tenth and at the end, never one unbroken line of carriage returns."""
    if sys.stderr.isatty():
        end = "\n" if done == total else "\r"
        print(f"{what} {done}/{total}", end=end, file=sys.stderr, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(f"{what} {done}/{total}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> Any:
    if args.area in ("accounts", "operators"):
        return _with_db(lambda conn: account_cli.run(conn, args))
    if args.area == "dlq":
        return _dlq(args)
    if args.area == "integrations":
        return _with_db(lambda conn: integration_cli.run(conn, args))
    if args.area == "channels":
        return _with_db(lambda conn: ops_cli.channels(conn, args))
    if args.area == "status":
        return ops_cli.status(KafkaSettings())
    return _with_db(lambda conn: _keys(conn, args, f"cli:{getpass.getuser()}"))


async def _keys(conn: asyncpg.Connection, args: argparse.Namespace, actor: str) -> Any:
    if args.action == "create":
        scopes = _chosen_scopes(args)
        expires = (datetime.now(UTC) + timedelta(days=args.expires_in_days)
                   if args.expires_in_days else None)  # fmt: skip
        return await key_store.issue(
            conn, args.account, args.name, scopes, actor=actor, mode=args.mode, expires_at=expires
        )
    if args.action == "list":
        rows, _ = await key_store.page(conn, args.account, limit=10_000, offset=0)
        if not rows:  # none, or no such account: say which, as create does
            await ops_cli.existing_account(conn, args.account)
        return rows
    key_id = await key_store.id_by_prefix(conn, args.prefix)
    if args.action == "history":
        return await key_store.lifecycle(conn, key_id)
    if args.action == "revoke":
        return [await key_store.revoke(conn, None, key_id, args.reason, actor)]
    if args.action == "rotate":
        overlap = timedelta(hours=args.overlap_hours)
        return await key_store.rotate(conn, None, key_id, overlap, actor)
    change = key_store.disable if args.action == "disable" else key_store.enable
    return [await change(conn, None, key_id, actor)]


def _chosen_scopes(args: argparse.Namespace) -> tuple[Scope, ...]:
    if args.owner:
        return OWNER_SCOPES
    return tuple(Scope(s) for s in args.scope) if args.scope else QUICKSTART_SCOPES


def _print(args: argparse.Namespace, result: Any) -> None:
    data, human = _render(result)
    print(json.dumps(data, default=_json_value, indent=2) if args.json else human)


def _json_value(value: object) -> str:
    """Times as ISO 8601 (what `str` would make of them is not), anything else as text."""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _render(result: Any) -> tuple[Any, str]:
    """(machine-readable data, text for people) for each kind of command result."""
    rendered = (
        account_cli.render(result) or integration_cli.render(result) or ops_cli.render(result)
    )
    if rendered is not None:
        return rendered
    if isinstance(result, key_store.IssuedKey):
        return {"id": str(result.id), "prefix": result.record["prefix"], "key": result.token}, (
            f"key {result.token}\n(shown once: store it in your secret manager now; "
            "only its hash is kept)"
        )
    if isinstance(result, dict) and "payload" in result:
        headers = "\n".join(f"  {k}: {v}" for k, v in result["headers"].items())
        payload = result["payload"]
        body = json.dumps(payload, indent=2) if not isinstance(payload, str) else payload
        return result, f"dead letter {result['id']}\nheaders:\n{headers}\npayload:\n{body}"
    if isinstance(result, dict) and "replayed" in result:
        text = f"replayed {result['replayed']} message(s) to their origin topics"
        if result["leftOut"]:
            text += f"; {result['leftOut']} replayed before left out (--again sends them too)"
        return result, text
    if isinstance(result, list) and result and isinstance(result[0], dlq.DeadLetter):
        return [d.summary() for d in result], "\n".join(_letter_line(d) for d in result)
    if isinstance(result, list) and result and "action" in result[0]:
        return result, "\n".join(_history_line(e) for e in result)
    if isinstance(result, list):
        return result, "\n".join(_key_line(k) for k in result) or "nothing to show"
    return {"ok": True}, "done"


def _letter_line(d: dlq.DeadLetter) -> str:
    replayed = (
        f" [replayed {d.replayed_at:%Y-%m-%d %H:%M} by {d.replayed_by}]" if d.replayed_at else ""
    )
    return (
        f"{d.id:<8} from {d.origin_topic}[{d.origin_partition}]@{d.origin_offset} "
        f"({d.group}) request {d.request_id or '-'}: {d.reason[:120]}{replayed}"
    )


def _key_line(k: dict[str, Any]) -> str:
    revoked = f"  ({k['revoked_reason']} by {k['revoked_by']})" if k["revoked_reason"] else ""
    return (
        f"{k['prefix']}  {k['status']:<8} {k['name']:<24} {','.join(k['scopes']):<40} "
        f"last used {k['last_used_at'] or 'never'}  requests {k['request_count']}{revoked}"
    )


def _history_line(e: dict[str, Any]) -> str:
    reason = f": {e['reason']}" if e["reason"] else ""
    return f"{e['occurred_at']:%Y-%m-%d %H:%M:%S%z}  {e['action']:<9} by {e['actor']}{reason}"


def main() -> int:
    args = _parser().parse_args()
    # aiokafka logs each failed connection to stderr; the error below says it once.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        _print(args, asyncio.run(_with_kafka(_run(args))))
    except BrokenPipeError:  # `pinned ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (
        LookupError,
        key_store.KeyStateConflict,
        integrations.InvalidIntegration,
        InvalidScopes,
        accounts.AccountConflict,
        NotReplayable,
        StoreUnreachable,
        BrokerUnreachable,
    ) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
