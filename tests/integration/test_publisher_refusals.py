"""What the publisher records when PostgreSQL refuses a command the gateway accepted (an older
gateway, or a rule the edge lacks): a stable code, a message without the database's text, the
fields to fix; the key kept, so every retry gets the same rejection; the refusal counted."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
from prometheus_client import REGISTRY

from services.publisher.apply import apply_batch
from services.publisher.outcome_log import record_outcomes
from shared.contracts.messages import CreateEvent, IngestEnvelope, UpdateEvent
from shared.domain.events import EventInput
from tests.integration.conftest import Tenant
from tests.integration.test_publisher_apply import create, envelope


def unchecked(tenant: Tenant, **changes: Any) -> CreateEvent:
    """A create as a gateway without the storability rules let it through."""
    event = EventInput.model_validate(tenant.event(**changes))
    return CreateEvent(event_id=uuid.uuid4(), event=event)


def refusals(reason: str) -> float:
    value = REGISTRY.get_sample_value("pinned_publisher_store_refusals_total", {"reason": reason})
    return value or 0.0


async def apply(db: asyncpg.Pool, batch: list[IngestEnvelope]) -> list[dict[str, Any]]:
    async with db.acquire() as conn, conn.transaction():
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        outcomes = await apply_batch(conn, batch)
        await record_outcomes(conn, outcomes)
    return [
        {
            "status": o.status,
            "code": o.reason_code,
            "reason": o.reason,
            "fields": [(f.path, f.code) for f in o.fields],
        }
        for o in outcomes
    ]


async def test_nul_refused_by_the_store_is_a_named_field_not_its_error_text(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    before = refusals("text")
    bad = envelope(tenant, unchecked(tenant, images=[{"url": "https://x.example/a.jpg",
                                                      "alt": "Stage\x00"}]))  # fmt: skip
    good = [envelope(tenant, create(tenant, title=f"Good {i}")) for i in range(2)]
    # In a batch: the set-based path falls back, the neighbours are stored.
    first, *others = await apply(db, [bad, *good])
    assert [o["status"] for o in others] == ["created", "created"]
    assert first["status"] == "rejected"
    assert first["code"] == "validation_failed"
    assert first["fields"] == [("images.0.alt", "nul_character")]
    assert first["reason"] == "The request body is invalid; fix these fields: images.0.alt."
    assert refusals("text") == before + 1
    recorded = await db.fetchrow(
        "SELECT status, reason_code, fields::text FROM command_outcomes WHERE message_id = $1",
        bad.message_id,
    )
    assert (recorded["status"], recorded["reason_code"]) == ("rejected", "validation_failed")
    assert json.loads(recorded["fields"])[0]["path"] == "images.0.alt"


async def test_every_retry_of_a_refused_command_gets_the_same_rejection(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    key = f"retry-{uuid.uuid4()}"
    command = unchecked(tenant, title="Jazz\x00Night")
    first = envelope(tenant, command, key=key)
    (original,) = await apply(db, [first])
    redelivered, retried = await apply(db, [first, envelope(tenant, command, key=key)])
    assert redelivered == retried == original
    # Same key, another body: the usual refusal, not the first one's.
    other = envelope(tenant, create(tenant), key=key).model_copy(update={"request_hash": "other"})
    (reused,) = await apply(db, [other])
    assert (reused["status"], reused["code"]) == ("rejected", "idempotency_key_reused")


async def test_a_retry_in_the_same_batch_gets_the_same_rejection(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    key = f"same-batch-{uuid.uuid4()}"
    command = unchecked(tenant, description="a\x00b")
    outcomes = await apply(db, [envelope(tenant, command, key=key) for _ in "ab"])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["fields"] == [("description", "nul_character")]


async def test_a_channel_gone_is_named_on_channel_id(db: asyncpg.Pool, tenant: Tenant) -> None:
    before = refusals("channel")
    (outcome,) = await apply(db, [envelope(tenant, create(tenant, channelId=2_000_000_003))])
    assert outcome["code"] == "channel_not_found"
    assert outcome["fields"] == [("channelId", "channel_not_found")]
    assert "foreign key" not in outcome["reason"]
    assert refusals("channel") == before + 1


async def test_an_update_the_stored_event_cannot_take_records_its_fields(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    created = create(tenant)
    await apply(db, [envelope(tenant, created)])
    change = UpdateEvent(event_id=created.event_id, changes={"endAt": "2026-06-12T17:00:00-04:00"})
    (outcome,) = await apply(db, [envelope(tenant, change)])
    assert (outcome["status"], outcome["code"]) == ("rejected", "validation_failed")
    assert outcome["fields"] == [("endAt", "end_before_start")]
    assert outcome["reason"] == "The request body is invalid; fix these fields: endAt."
