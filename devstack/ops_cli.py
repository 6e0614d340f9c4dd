"""`pinned channels ...` and `pinned status`: channels with their members, and the pipeline's
topics and consumer lag, for operators."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from shared.adapters import channels as channel_store
from shared.core.settings import KafkaSettings
from shared.domain.channels import VISIBILITIES, ChannelPublication
from shared.runtime.lag import LagMonitor, PartitionLag


@dataclass(frozen=True)
class Status:
    lags: list[PartitionLag]


def add_commands(sub: Any) -> None:
    channels = sub.add_parser("channels", help="channels and their members")
    actions = channels.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="channels an account owns or is a member of")
    listing.add_argument("--account", type=int, required=True)
    create = actions.add_parser("create", help="a new channel owned by an account")
    create.add_argument("--account", type=int, required=True)
    create.add_argument("--name", required=True)
    for verb, text in (
        ("add-member", "let another account publish into the channel"),
        ("remove-member", "take that access away (on its next request)"),
    ):
        member = actions.add_parser(verb, help=text)
        member.add_argument("channel", type=int)
        member.add_argument("--account", type=int, required=True)
    visibility = actions.add_parser(
        "visibility", help="make a channel public, unlisted or private (and set its slug)"
    )
    visibility.add_argument("channel", type=int)
    visibility.add_argument("visibility", choices=VISIBILITIES)
    visibility.add_argument("--slug", help="its public address: /channels/<slug>")
    sub.add_parser("status", help="topics, consumer groups and their lag per partition")


async def channels(conn: asyncpg.Connection, args: argparse.Namespace) -> Any:
    if args.action == "list":
        rows = await channel_store.of_account(conn, args.account)
        if not rows:  # none, or no such account: say which
            await existing_account(conn, args.account)
        return [{**row, "members": len(row["members"])} for row in rows]
    if args.action == "create":
        await existing_account(conn, args.account)
        row = await conn.fetchrow(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, $2)"
            " RETURNING id, name, owner_account_id, created_at, visibility, slug",
            args.account,
            args.name,
        )
        return [{**dict(row), "role": "owner", "members": 0, "events": 0}]
    if args.action == "visibility":
        return [await _publish(conn, args)]
    if args.action == "add-member":
        done = await conn.execute(
            "INSERT INTO channel_members (channel_id, account_id) SELECT $1, $2"
            " WHERE EXISTS (SELECT 1 FROM channels WHERE id = $1)"
            " AND EXISTS (SELECT 1 FROM accounts WHERE id = $2) ON CONFLICT DO NOTHING",
            args.channel,
            args.account,
        )
    else:
        done = await conn.execute(
            "DELETE FROM channel_members WHERE channel_id = $1 AND account_id = $2",
            args.channel,
            args.account,
        )
    if done.endswith(" 0"):
        raise LookupError(f"no change: check channel {args.channel} and account {args.account}")
    return {"ok": True}


async def _publish(conn: asyncpg.Connection, args: argparse.Namespace) -> dict[str, Any]:
    try:
        change = ChannelPublication(visibility=args.visibility, slug=args.slug)
    except ValidationError as exc:
        raise LookupError(f"invalid slug '{args.slug}': {exc.errors()[0]['msg']}") from None
    try:
        row = await channel_store.publish(conn, None, args.channel, change)
    except channel_store.SlugTaken as exc:
        raise LookupError(str(exc)) from None
    return {**row, "role": "owner", "members": "-", "events": "-"}


async def status(settings: KafkaSettings) -> Status:
    monitor = LagMonitor(settings)
    await monitor.start()
    try:
        return Status(await monitor.partition_lags())
    finally:
        await monitor.stop()


async def existing_account(conn: asyncpg.Connection, account_id: int) -> None:
    """LookupError naming the account unless it exists (the CLI prints it, exit status 1)."""
    if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
        raise LookupError(f"no account {account_id}")


def render(result: Any) -> tuple[Any, str] | None:
    if isinstance(result, Status):
        data = [{**vars(lag), "lag": lag.lag} for lag in result.lags]
        # Columns as wide as their longest value (pinned-discovery-projector is 26).
        g = max([len("group"), *(len(lag.group) for lag in result.lags)])
        t = max([len("topic"), *(len(lag.topic) for lag in result.lags)])
        lines = [
            f"{'group':<{g}} {'topic':<{t}} {'part':>4} {'committed':>10} {'end':>10} {'lag':>8}"
        ]
        lines += [
            f"{lag.group:<{g}} {lag.topic:<{t}} {lag.partition:>4} {lag.committed:>10} "
            f"{lag.end:>10} {lag.lag:>8}"
            for lag in result.lags
        ]
        total = sum(lag.lag for lag in result.lags)
        lines.append(f"total lag {total} message(s)" + ("" if total else ": all caught up"))
        return data, "\n".join(lines)
    if (
        isinstance(result, list)
        and result
        and isinstance(result[0], dict)
        and ("role" in result[0])
    ):
        return result, "\n".join(
            f"{r['id']:>6}  {r['role']:<6} {r['name']:<30} members {r['members']:<3} "
            f"events {r['events']:<6} {r['visibility']:<8} /channels/{r['slug']}"
            for r in result
        )
    return None
