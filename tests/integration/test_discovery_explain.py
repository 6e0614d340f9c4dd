"""Every public query shape is index-backed: 100,000 read-model rows across 50 cities (a
fifth of them occurrences of 2,000 recurring events), made in SQL with generate_series inside
a transaction that is rolled back (other tests never see them), analysed, and each shape's
plan searched for a sequential scan of the big tables."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.discovery.planning.calendar import CALENDAR_SQL
from services.discovery.planning.feed import FEED_SQL
from services.discovery.planning.lists import RSVPS_SQL, SAVES_SQL
from services.discovery.projector.store import REMOVE_SERIES_SQL
from services.discovery.queries.search import Near, SearchQuery, search_sql
from services.discovery.queries.store import NEXT_OCCURRENCE_SQL, OCCURRENCES_SQL
from shared.domain.channels import LINKABLE
from shared.domain.places import catalog
from tests.integration.plan_support import plan_nodes

ROWS = 100_000
CITIES = 50
BIG_TABLES = {"discovery_events", "discovery_event_classifications", "events"}

_FILL = """
WITH cities AS (
    SELECT ordinality AS n, place_id, lat, lng
    FROM unnest($1::text[], $2::float8[], $3::float8[]) WITH ORDINALITY AS c(place_id, lat, lng)
)
INSERT INTO discovery_events (event_id, series_id, recurrence_id, version, channel_id, status,
    title, start_at, end_at, timezone, local_date, place_id, latitude, longitude,
    classifications, search, event, changed_at)
SELECT md5('explain' || i)::uuid,
       CASE WHEN i % 5 = 0 THEN md5('explain-series' || i % 2000)::uuid
            ELSE md5('explain' || i)::uuid END,
       CASE WHEN i % 5 = 0 THEN now() + (i % 400) * interval '1 day' END,
       1, ($4::bigint[])[1 + i % 200], CASE WHEN i % 20 = 0 THEN 'draft'
       WHEN i % 33 = 0 THEN 'cancelled' ELSE 'published' END,
       'Event ' || i, now() + (i % 400) * interval '1 day' + (i % 24) * interval '1 hour',
       NULL, 'UTC', (now() + (i % 400) * interval '1 day')::date,
       c.place_id, c.lat + (i % 100) * 0.001, c.lng - (i % 100) * 0.001,
       ARRAY[(ARRAY['music','comedy','arts','tech','food-drink','sports'])[1 + i % 6]],
       to_tsvector('pinned_search', 'Event ' || i || ' ' ||
           (ARRAY['jazz', 'salsa', 'poetry', 'startup', 'ramen', 'chess'])[1 + i % 6]),
       jsonb_build_object('id', md5('explain' || i)::uuid), now()
FROM generate_series(1, $5::int) AS i JOIN cities c ON c.n = 1 + i % $6
"""

_CHANNELS = """
INSERT INTO channels (owner_account_id, name, visibility)
SELECT $1, 'explain ' || n, CASE WHEN n % 10 = 0 THEN 'private' ELSE 'public' END
FROM generate_series(0, 199) AS n
RETURNING id
"""


def shapes(channel_id: int, place_id: str, lat: float, lng: float) -> dict[str, SearchQuery]:
    today = datetime.now(UTC).date()
    week = (today + timedelta(days=7), today + timedelta(days=14))
    return {
        "city, from today": SearchQuery(place_id=place_id, date_from=today),
        "city, a week in local dates": SearchQuery(
            place_id=place_id, date_from=week[0], date_to=week[1]
        ),
        "radius around a point": SearchQuery(near=Near(lat, lng, 10), date_from=today),
        "classification": SearchQuery(classification="tech", date_from=today),
        "classification, a week in local dates": SearchQuery(
            classification="music", date_from=week[0], date_to=week[1]
        ),
        "radius, a week in local dates": SearchQuery(
            near=Near(lat, lng, 15), date_from=week[0], date_to=week[1]
        ),
        "free text": SearchQuery(text="salsa", date_from=today),
        "text in a city, cancelled left out": SearchQuery(
            place_id=place_id, text="jazz", include_cancelled=False, date_from=today
        ),
        "everything, soonest first": SearchQuery(date_from=today),
        "a channel (feed)": SearchQuery(
            channel_id=channel_id, visibilities=LINKABLE, starts_after=datetime.now(UTC), limit=1000
        ),
        "a city (feed)": SearchQuery(place_id=place_id, starts_after=datetime.now(UTC), limit=1000),
    }


@pytest.fixture(scope="module")
async def filled(db: asyncpg.Pool) -> Any:
    """A connection inside a transaction holding the 100,000 rows, made once for the module's
    tests (they only read); rolled back after."""
    places = sorted(catalog().ranked[: CITIES + 1], key=lambda p: p.id)[:CITIES]
    async with db.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            account = await conn.fetchval(
                "INSERT INTO accounts (name) VALUES ('explain') RETURNING id"
            )
            channels = [row["id"] for row in await conn.fetch(_CHANNELS, account)]
            await conn.execute(
                _FILL,
                [p.id for p in places],
                [p.latitude for p in places],
                [p.longitude for p in places],
                channels,
                ROWS,
                CITIES,
            )
            await conn.execute("ANALYZE discovery_events")
            await conn.execute("ANALYZE discovery_event_classifications")
            await conn.execute("ANALYZE channels")
            yield conn, channels[1], places[0]
        finally:
            await transaction.rollback()


async def test_no_query_shape_scans_the_event_tables_sequentially(filled: Any) -> None:
    conn, channel_id, place = filled
    assert await conn.fetchval("SELECT count(*) FROM discovery_events") >= ROWS
    scans: dict[str, list[str]] = {}
    for name, query in shapes(channel_id, place.id, place.latitude, place.longitude).items():
        sql, args = search_sql(query)
        plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
        nodes = list(plan_nodes(plan[0]["Plan"]))
        scans[name] = [
            f"{n['Node Type']} on {n.get('Relation Name')}"
            for n in nodes
            if n.get("Relation Name") in BIG_TABLES
        ]
        sequential = [s for s in scans[name] if s.startswith("Seq Scan")]
        assert not sequential, f"{name}: {sequential}\n{json.dumps(plan, indent=1)[:3000]}"
        assert scans[name], f"{name}: the plan reads no event table at all"
        leads = [n.get("Index Name") for n in nodes if n.get("Index Name")]
        if name.startswith("classification"):  # in start order from its own index
            assert "discovery_event_classifications_pkey" in leads, f"{name}: {scans[name]}"
        if name.startswith("radius"):  # the bounding box names the point index's expression
            assert "discovery_events_point" in leads, f"{name}: {scans[name]}"
    print(json.dumps(scans, indent=1))  # which index each shape used, in the test's output


async def test_the_personal_feed_reads_each_follow_from_an_index(filled: Any) -> None:
    """A person following a channel, a big city and an interest: each follow is read in index
    order as far as one page, never by scanning the read model."""
    conn, channel_id, place = filled
    args = ["http://x", [channel_id], [place.id], ["tech"], datetime.now(UTC), uuid.UUID(int=0), 21]
    plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {FEED_SQL}", *args))
    nodes = list(plan_nodes(plan[0]["Plan"]))
    reads = [n["Node Type"] for n in nodes if n.get("Relation Name") == "discovery_events"]
    assert reads, "the plan reads no event table at all"
    assert "Seq Scan" not in reads, json.dumps(plan, indent=1)[:3000]
    rows = await conn.fetch(FEED_SQL, *args)
    assert len(rows) == 21
    assert [r["start_at"] for r in rows] == sorted(r["start_at"] for r in rows)


async def test_the_queries_of_recurring_events_read_the_series_index(filled: Any) -> None:
    """A series' occurrences (the event page's other dates), its next occurrence (its own
    id), and the projector replacing a series' rows: each finds them by series_id."""
    conn, _, _ = filled
    series = uuid.UUID(hex=hashlib.md5(b"explain-series5").hexdigest())  # noqa: S324
    statements = {
        "occurrences": (OCCURRENCES_SQL, ["http://x", series, datetime.now(UTC), 11]),
        "next occurrence": (NEXT_OCCURRENCE_SQL, ["http://x", series, list(LINKABLE)]),
        "projector removing a series' rows": (REMOVE_SERIES_SQL, [[series]]),
    }
    for name, (sql, args) in statements.items():
        plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
        reads = [
            n["Node Type"]
            for n in plan_nodes(plan[0]["Plan"])
            if n.get("Relation Name") == "discovery_events"
        ]
        assert reads, f"{name}: the plan reads no event table at all"
        assert "Seq Scan" not in reads, f"{name}: {json.dumps(plan, indent=1)[:3000]}"
    rows = await conn.fetch(OCCURRENCES_SQL, "http://x", series, datetime.now(UTC), 11)
    assert rows, "the series has occurrences in the fill"
    assert [r["start_at"] for r in rows] == sorted(r["start_at"] for r in rows)


async def test_the_projector_removes_classification_rows_by_their_key(filled: Any) -> None:
    """The triggers that keep discovery_event_classifications find each row to remove by its
    primary key: the projector replaces rows on every change, and a scan of the whole table
    there cost a millisecond per 14,000 rows, per batch."""
    conn, _, _ = filled
    series = uuid.UUID(hex=hashlib.md5(b"explain-series10").hexdigest())  # noqa: S324
    plans: list[dict[str, Any]] = []

    def nested_plan(_: object, message: asyncpg.PostgresLogMessage) -> None:
        text = message.message
        if "discovery_event_classifications" in text and text.lstrip().startswith("duration"):
            plans.append(json.loads(text[text.index("{") :]))

    conn.add_log_listener(nested_plan)
    await conn.execute("LOAD 'auto_explain'")
    try:
        async with conn.transaction():  # a savepoint: the rows stay, the settings go
            for setting in ("log_min_duration = 0", "log_nested_statements = on",
                            "log_format = json", "log_level = notice"):  # fmt: skip
                await conn.execute(f"SET LOCAL auto_explain.{setting}")
            removed = await conn.fetch(REMOVE_SERIES_SQL, [series])
            raise _RolledBack
    except _RolledBack:
        pass
    finally:
        conn.remove_log_listener(nested_plan)
    assert removed, "the series has rows in the fill"
    reads = [
        (n["Node Type"], n.get("Index Name"))
        for plan in plans
        for n in plan_nodes(plan["Plan"])
        if n.get("Relation Name") == "discovery_event_classifications"
    ]
    assert reads, f"no plan read discovery_event_classifications: {plans}"
    assert all(node != "Seq Scan" for node, _ in reads), reads


class _RolledBack(Exception):
    """Undoes the savepoint above."""


async def test_a_persons_plans_read_each_row_by_key_and_a_gone_occurrence_by_its_series(
    filled: Any,
) -> None:
    """The RSVP and save lists and the personal calendar read each plan's row by its key,
    and an occurrence taken out of its series (no row of its own, a cancelled planning row)
    from another row of it by the series index."""
    conn, channel_id, _ = filled
    series = uuid.UUID(hex=hashlib.md5(b"explain-series5").hexdigest())  # noqa: S324
    gone = uuid.uuid4()
    person = await conn.fetchval(_PERSON, f"explain-{gone}@example.com")
    await conn.execute(_PLANS, person)
    await conn.execute(_GONE, gone, channel_id, series, datetime.now(UTC) + timedelta(days=3))
    await conn.execute("INSERT INTO rsvps (person_id, event_id, status) VALUES ($1, $2, 'going')",
                       person, gone)  # fmt: skip
    await conn.execute("INSERT INTO saves (person_id, event_id) VALUES ($1, $2)", person, gone)
    for table in ("rsvps", "saves", "plan_events"):
        await conn.execute(f"ANALYZE {table}")
    first = ["http://x", person, datetime.fromisoformat("1900-01-01T00:00:00+00:00"),
             uuid.UUID(int=0), 101]  # fmt: skip
    statements = {
        "calendar": (CALENDAR_SQL, [person, 30]),
        "RSVPs": (RSVPS_SQL, first),
        "saves": (SAVES_SQL, first),
    }
    for name, (sql, args) in statements.items():
        plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
        reads = [
            (n["Node Type"], n.get("Index Name"))
            for n in plan_nodes(plan[0]["Plan"])
            if n.get("Relation Name") == "discovery_events"
        ]
        assert ("Index Scan", "discovery_events_series") in reads, f"{name}: {reads}"
        assert all(node != "Seq Scan" for node, _ in reads), json.dumps(plan, indent=1)[:3000]
        rows = {row["event_id"]: dict(row) for row in await conn.fetch(sql, *args)}
        shown = rows[gone].get("status") or json.loads(rows[gone]["public"])["status"]
        assert shown == "cancelled", name
    assert len(await conn.fetch(RSVPS_SQL, *first)) > 50  # the fill's published ones too


_PERSON = """
INSERT INTO people (email, email_key, display_name, password_hash)
VALUES ($1, $1, 'Explain', 'x') RETURNING id
"""

# Going to every third event of the fill (singles and occurrences) and saving them.
_PLANS = """
WITH planned AS (
    INSERT INTO rsvps (person_id, event_id, status)
    SELECT $1, md5('explain' || i)::uuid, 'going' FROM generate_series(1, 600, 3) AS i
    RETURNING event_id
)
INSERT INTO saves (person_id, event_id) SELECT $1, event_id FROM planned
"""

_GONE = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, series_id, recurrence_id)
VALUES ($1, 2, 'cancelled', $2, 'Gone', $4, NULL, 'UTC', $3, $4)
"""
