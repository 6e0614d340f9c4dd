"""`pinned integrations`: connect a CMS/CRM sender, list integrations, read deliveries; pause,
resume, delete one or rotate its secret."""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from devstack import integration_trials
from shared.adapters import integrations
from shared.adapters.integrations import SOURCES, IntegrationSpec, InvalidIntegration
from shared.domain import senders
from shared.domain.events import FieldError
from shared.domain.places import find as find_place


@dataclass(frozen=True)
class Connected:
    """A new integration: the secret is shown this once."""

    integration: dict[str, Any]
    secret: str


def add_commands(sub: Any) -> None:
    cmds = sub.add_parser("integrations", help="webhook integrations (CMS, CRM, forms)")
    actions = cmds.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="connect a sender; its secret is shown once")
    create.add_argument("--account", type=int, required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--source", required=True, choices=SOURCES)
    create.add_argument("--channel", type=int, required=True, help="channel its events go to")
    create.add_argument("--verification", choices=["signature", "token"])
    create.add_argument("--secret", help="the sender's own signing secret (Contentful, Webflow)")
    create.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=PATH",
        help="event field from a dotted path or JMESPath expression, e.g. "
        "description=rich_text(entry.body)",
    )
    create.add_argument(
        "--on",
        action="append",
        default=[],
        metavar="ACTION=EFFECT",
        help="what a sender action does, e.g. entry.update=ignore",
    )
    create.add_argument(
        "--mapping-settings",
        metavar="JSON",
        type=_json_argument,
        help="valueMaps, mediaBaseUrl, locale, identity (docs/webhooks.md); inline or @file",
    )
    create.add_argument("--default-timezone")
    create.add_argument("--default-city", metavar="PLACE_ID", help="e.g. place-new-york")
    create.add_argument("--default-classification", action="append")
    create.add_argument("--default-status", choices=["draft", "published"], default="published")
    listing = actions.add_parser("list", help="an account's integrations, without secrets")
    listing.add_argument("--account", type=int, required=True)
    recent = actions.add_parser("deliveries", help="recent deliveries, newest first")
    recent.add_argument("integration_id", type=uuid.UUID)
    recent.add_argument("--limit", type=int, default=50)
    for name, text in (
        ("disable", "pause: its webhook answers 404 and nothing reaches Kafka"),
        ("enable", "resume a paused integration"),
        ("delete", "remove it and its deliveries log; the events it made stay"),
    ):
        actions.add_parser(name, help=text).add_argument("integration_id", type=uuid.UUID)
    rotate = actions.add_parser(
        "rotate-secret", help="a new secret, shown once; the old one works for the overlap"
    )
    rotate.add_argument("integration_id", type=uuid.UUID)
    rotate.add_argument("--secret", help="the sender's own new secret (Contentful, Webflow)")
    rotate.add_argument("--overlap-seconds", type=int, default=3600)
    integration_trials.add_commands(actions)


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> Any:
    if args.action in ("preview", "replay"):
        return await integration_trials.run(conn, args)
    if args.action == "list":
        rows, _ = await integrations.page(conn, args.account, limit=10_000, offset=0)
        return rows
    if args.action == "deliveries":
        await integrations.get(conn, None, args.integration_id)
        rows, _ = await integrations.deliveries(conn, args.integration_id, args.limit, 0)
        return rows
    if args.action in ("disable", "enable"):
        status = "disabled" if args.action == "disable" else "active"
        return [await integrations.set_status(conn, None, args.integration_id, status)]
    if args.action == "delete":
        await integrations.delete(conn, None, args.integration_id)
        return {"deleted": str(args.integration_id)}
    if args.action == "rotate-secret":
        body = {"secret": args.secret, "overlapSeconds": args.overlap_seconds}
        rotation = integrations.validate_rotation(body)
        row, secret = await integrations.rotate_secret(
            conn, None, args.integration_id, rotation, senders.new_secret
        )
        return Connected(row, secret)
    spec = _spec(args)
    if not await conn.fetchval(
        "SELECT 1 FROM channels c WHERE c.id = $2 AND (c.owner_account_id = $1 OR EXISTS"
        " (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.account_id = $1))",
        args.account,
        args.channel,
    ):
        raise LookupError(f"channel {args.channel} is not accessible to account {args.account}")
    secret = spec.secret or senders.new_secret(spec.source)
    row, secret = await integrations.create(
        conn,
        args.account,
        spec,
        senders.verification_of(spec.source, spec.verification),
        spec.mapping,
        spec.actions,
        secret,
    )
    return Connected(row, secret)


def _spec(args: argparse.Namespace) -> IntegrationSpec:
    city = None
    if args.default_city:
        place = find_place(args.default_city)
        if place is None:
            raise InvalidIntegration(
                [FieldError("defaults.city", "unknown_place", f"no place {args.default_city}")]
            )
        city = {"placeId": place.id, "name": place.name, "countryCode": place.countryCode}
    body = {
        "name": args.name,
        "source": args.source,
        "channelId": args.channel,
        "verification": args.verification,
        "secret": args.secret,
        "mapping": _pairs(args.map, "--map"),
        "mappingSettings": args.mapping_settings or {},
        "actions": _pairs(args.on, "--on"),
        "defaults": {
            "timezone": args.default_timezone,
            "city": city,
            "classifications": args.default_classification,
            "status": args.default_status,
        },
    }
    return integrations.validate_spec(body)


def _json_argument(text: str) -> Any:
    try:
        return json.loads(Path(text[1:]).read_text() if text.startswith("@") else text)
    except (OSError, json.JSONDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise InvalidIntegration([FieldError(option, "format", f"'{item}' is not NAME=VALUE")])
        pairs[name.strip()] = value.strip()
    return pairs


def render(result: Any) -> tuple[Any, str] | None:
    """(data, text) for integration results, or None when the result is not one."""
    if isinstance(result, integration_trials.Trial):
        return result.view, result.text()
    if isinstance(result, Connected):
        row = result.integration
        path = f"/webhooks/{row['source']}/{row['id']}"
        data = {**row, "webhookPath": path, "secret": result.secret}
        text = (
            f"integration {row['id']} ({row['source']} -> channel {row['channel_id']})\n"
            f"webhook   POST <gateway>{path}\n"
            f"secret    {result.secret}\n"
            f"(shown once; {row['verification']}: configure it in the sender now)"
        )
        if row["previous_secret_until"] is not None:
            text += f"\nthe previous secret is accepted until {row['previous_secret_until']}"
        return data, text
    if not (isinstance(result, list) and result and isinstance(result[0], dict)):
        return None
    if "sender_action" in result[0]:
        return result, "\n".join(_delivery_line(d) for d in result)
    if "verification" in result[0]:
        return result, "\n".join(
            f"{r['id']}  {r['source']:<10} channel {r['channel_id']:<6} {r['status']:<8} "
            f"{r['name']}"
            for r in result
        )
    return None


def _delivery_line(d: dict[str, Any]) -> str:
    reason = d["reason"] or ""
    return (
        f"{d['received_at']:%Y-%m-%d %H:%M:%S}  {d['status']:<12} "
        f"{d['sender_action'] or '-':<28} {d['document_id'] or '-':<24} {reason[:100]}"
    )
