"""What migration 0025 keeps beside each read-model row, whatever writes discovery_events (the
projector, the benchmark's fill, a test): the public JSON text the API's documents are made
of (equal to what jsonb builds from the event, as before 0025 and still for planned rows made
on the fly), and the rows of discovery_event_classifications that classification searches
read. Each test works inside a transaction that is rolled back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.discovery.queries.search import EVENT_JSON, FROM, PUBLIC_JSON

_ROW = """
INSERT INTO discovery_events (event_id, series_id, version, channel_id, status, title, start_at,
    timezone, local_date, place_id, latitude, longitude, classifications, search, event,
    changed_at)
VALUES ($1, $1, $2, $3, $4, 'Row', $5, 'UTC', $8, 'place-london', 51.5, -0.12, $6,
    to_tsvector('pinned_search', 'row'), $7::jsonb, now())
"""

_CLASSIFIED = """
SELECT classification, start_at, status, local_date, channel_id FROM discovery_event_classifications
WHERE event_id = $1 ORDER BY classification
"""


@pytest.fixture
async def conn(db: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with db.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            yield connection
        finally:
            await transaction.rollback()


async def _channel(conn: asyncpg.Connection, name: str = "Rows") -> int:
    account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('rows') RETURNING id")
    channel: int = await conn.fetchval(
        "INSERT INTO channels (owner_account_id, name, visibility) VALUES ($1, $2, 'public')"
        " RETURNING id",
        account,
        name,
    )
    return channel


async def _insert(
    conn: asyncpg.Connection,
    channel: int,
    classifications: list[str],
    status: str = "published",
    event: dict[str, Any] | None = None,
    version: int = 1,
) -> tuple[uuid.UUID, datetime]:
    event_id = uuid.uuid4()
    start = datetime(2031, 5, 17, 19, tzinfo=UTC) + timedelta(minutes=len(classifications))
    body = {"id": str(event_id), "title": "Row", **(event or {})}
    await conn.execute(
        _ROW,
        event_id,
        version,
        channel,
        status,
        start,
        classifications,
        json.dumps(body),
        start.date(),
    )
    return event_id, start


async def test_a_document_is_the_one_jsonb_builds_from_the_event(
    conn: asyncpg.Connection,
) -> None:
    channel = await _channel(conn, 'Caf\u00e9 "Jazz" \\ club \U0001f3b7')
    stored = {
        "description": 'Quotes " and backslashes \\ and\nlines, caf\u00e9',
        "sourceId": "crm-1",  # the integrator's, never public
        "sourceUpdatedAt": "2031-01-01T00:00:00+00:00",
        "status": "published",  # the row's own status and version win
        "version": 1,
        "venue": {"name": "Hall", "address": "1 Main Street"},
        "classifications": ["music"],
    }
    event_id, _ = await _insert(conn, channel, ["music"], "cancelled", stored, version=3)
    base = 'https://pinned.example/x"y\\z/\u00fc'
    now, before = await conn.fetchrow(
        f"SELECT {PUBLIC_JSON} AS now, {EVENT_JSON} AS before {FROM} WHERE d.event_id = $2",
        base,
        event_id,
    )
    assert json.loads(now) == json.loads(before)
    document = json.loads(now)
    assert not {"sourceId", "sourceUpdatedAt"} & document.keys()
    assert (document["status"], document["version"]) == ("cancelled", 3)
    assert document["channel"]["name"] == 'Caf\u00e9 "Jazz" \\ club \U0001f3b7'
    assert document["url"] == f"{base}/events/{event_id}"


async def test_classification_rows_follow_inserts_updates_and_deletes(
    conn: asyncpg.Connection,
) -> None:
    channel = await _channel(conn)
    shown, start = await _insert(conn, channel, ["music", "arts"])
    draft, _ = await _insert(conn, channel, ["music"], status="draft")
    assert [(r["classification"], r["start_at"], r["status"], r["channel_id"])
            for r in await conn.fetch(_CLASSIFIED, shown)] == [
        ("arts", start, "published", channel), ("music", start, "published", channel)
    ]  # fmt: skip
    assert await conn.fetch(_CLASSIFIED, draft) == []  # drafts are never searched

    later = start + timedelta(days=2)
    await conn.execute(
        "UPDATE discovery_events SET classifications = '{tech}', start_at = $2,"
        " local_date = $3, status = 'cancelled' WHERE event_id = $1",
        shown,
        later,
        later.date(),
    )
    await conn.execute(
        "UPDATE discovery_events SET status = 'published' WHERE event_id = $1", draft
    )
    assert [(r["classification"], r["start_at"], r["local_date"], r["status"])
            for r in await conn.fetch(_CLASSIFIED, shown)] == [
        ("tech", later, later.date(), "cancelled")
    ]  # fmt: skip
    assert [r["classification"] for r in await conn.fetch(_CLASSIFIED, draft)] == ["music"]
    await conn.execute("UPDATE discovery_events SET status = 'draft' WHERE event_id = $1", draft)
    assert await conn.fetch(_CLASSIFIED, draft) == []

    await conn.execute("DELETE FROM discovery_events WHERE event_id = $1", shown)
    assert await conn.fetch(_CLASSIFIED, shown) == []
