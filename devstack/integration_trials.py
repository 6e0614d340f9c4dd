"""`pinned integrations preview` and `pinned integrations replay`: the developer API's preview
and replay for operators, with the same conversion (shared/domain/senders/conversion.py),
commands (shared/contracts/webhook_commands.py) and deliveries log."""

from __future__ import annotations

import argparse
import getpass
import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.adapters import integrations
from shared.adapters.kafka import request_headers, started
from shared.contracts.messages import encode
from shared.contracts.topics import Topic
from shared.contracts.webhook_commands import command_of, idempotency_key, replay_envelope
from shared.core.settings import KafkaSettings
from shared.domain.captured import capture
from shared.domain.mapping.notes import as_json
from shared.domain.senders import SENDERS, UnreadableDelivery
from shared.domain.senders.conversion import (
    Sample,
    Verdict,
    convert,
    kept_sample,
    read_sample,
    verdict,
    verdict_view,
)


@dataclass(frozen=True)
class Trial:
    """What a preview or replay says (the developer API's answer, as JSON)."""

    view: dict[str, Any]

    def text(self) -> str:
        lines = [f"{self.view['status']}: {self.view.get('change', '')} "
                 f"{self.view.get('documentId') or ''}".rstrip()]  # fmt: skip
        if "event" in self.view:
            lines.append(json.dumps(self.view["event"], indent=2, ensure_ascii=False))
        lines += [f"note: {n['path']}: {n['message']}" for n in self.view.get("notes", [])]
        if self.view.get("reason"):
            lines.append(f"reason: {self.view['reason']}")
        lines += [f"  {f['path']}: {f['message']}" for f in self.view.get("fields", [])]
        if "replayOf" in self.view:
            lines.append(f"delivery {self.view['deliveryId']} replays {self.view['replayOf']}")
        return "\n".join(lines)


def add_commands(actions: Any) -> None:
    preview = actions.add_parser(
        "preview", help="what a delivery would become under the current mapping; writes nothing"
    )
    preview.add_argument("integration_id", type=uuid.UUID)
    source = preview.add_mutually_exclusive_group(required=True)
    source.add_argument("--delivery", type=uuid.UUID, help="a recorded delivery's id")
    source.add_argument(
        "--body", type=argparse.FileType("rb"), help="a file with the raw body ('-': stdin)"
    )
    preview.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'")
    preview.add_argument("--query", default="", help="the webhook URL's query, e.g. action=x")
    replay = actions.add_parser(
        "replay", help="run an invalid, ignored or rejected delivery through the current mapping"
    )
    replay.add_argument("integration_id", type=uuid.UUID)
    replay.add_argument("delivery_id", type=uuid.UUID)


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> Trial:
    integration = await integrations.get(conn, None, args.integration_id)
    if args.action == "preview":
        return Trial(verdict_view(convert(integration, await _sample(conn, args))))
    kept = await integrations.kept_delivery(conn, integration["id"], args.delivery_id)
    sample = kept_sample(kept, replaying=True)
    try:
        delivery = read_sample(integration, sample)
    except UnreadableDelivery as exc:
        result = Verdict("invalid", None, reason_code="unreadable", reason=str(exc))
    else:
        result = verdict(SENDERS[integration["source"]], integration, delivery)
    row = _row(integration, sample, kept, result, f"cli:{getpass.getuser()}:{uuid.uuid4()}")
    if result.status == "accepted":
        command = command_of(integration, result)
        rejected = kept["status"] == "rejected"
        envelope = replay_envelope(
            integration, command, row["request_id"], row["idempotency_key"], rejected
        )
        await _produce(envelope)
        row.update(
            message_id=envelope.message_id,
            event_id=envelope.command.event_id,
            idempotency_key=envelope.idempotency_key,
        )
    await integrations.record_delivery(conn, row)
    view = verdict_view(result)
    if row.get("event_id"):
        view["eventId"] = str(row["event_id"])
    return Trial({**view, "deliveryId": str(row["id"]), "replayOf": str(args.delivery_id)})


async def _sample(conn: asyncpg.Connection, args: argparse.Namespace) -> Sample:
    if args.delivery is not None:
        kept = await integrations.kept_delivery(conn, args.integration_id, args.delivery)
        return kept_sample(kept, replaying=False)
    raw = args.body.read()
    headers = dict(h.partition(":")[::2] for h in args.header)
    return Sample({k.strip(): v.strip() for k, v in headers.items()}, raw, args.query)


def _row(
    integration: dict[str, Any], sample: Sample, kept: dict[str, Any], result: Verdict,
    request_id: str,
) -> dict[str, Any]:  # fmt: skip
    captured = capture(sample.lowered(), sample.body)
    key = kept["idempotency_key"]
    if key is None and result.delivery is not None:
        key = idempotency_key(integration, result.delivery, sample.body)
    return {
        "id": uuid.uuid4(),
        "integration_id": integration["id"],
        "request_id": request_id,
        "sender_action": result.delivery.action if result.delivery else None,
        "document_id": result.delivery.document_id if result.delivery else None,
        "status": result.status,
        "reason_code": result.reason_code,
        "reason": result.reason,
        "fields": [vars(f) for f in result.fields] if result.fields else None,
        "notes": as_json(result.notes) or None,
        "idempotency_key": key,
        "replay_of": kept["id"],
        "headers": captured.headers,
        "body": captured.body,
        "query": sample.query or None,
    }


async def _produce(envelope: Any) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=KafkaSettings().bootstrap_servers, acks="all", enable_idempotence=True
    )
    async with started(producer):
        await producer.send_and_wait(
            Topic.INGEST,
            encode(envelope),
            key=str(envelope.command.event_id).encode(),
            headers=request_headers(envelope.request_id),
        )
