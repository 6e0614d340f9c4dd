"""The discovery scenario: 100,000 public events across 50 cities in the read model, then
search and feed requests at fixed offered rates (open model, bench.read_load)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.procstats import busy_percent, cpu_times
from bench.scenarios import percentiles, snapshot, usage_delta
from shared.domain.places import catalog

FEED_CHANNEL_EVENTS = 1000
CHANNELS = 200
WORDS = ("jazz", "salsa", "poetry", "startup", "ramen", "chess", "yoga", "vinyl")
KINDS = ("music", "comedy", "arts", "tech", "food-drink", "sports", "community", "workshop")

# Rows shaped as the projector writes them (the event view pages and feeds render), made in
# SQL: 100,000 through the API would take the whole benchmark's time on 2 cores. City,
# interest and word come from a hash of the row number, not from i modulo a count: moduli
# sharing a factor with the day's (180) put each city's events on a tenth of the days only.
_FILL = """
WITH cities AS (
    SELECT n, place_id, name, country, zone, lat, lng
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[])
        WITH ORDINALITY AS c(place_id, name, country, zone, lat, lng, n)
), made AS (
    SELECT i, c.*,
        CASE WHEN i <= $13 THEN ($7::bigint[])[1]
             ELSE ($7::bigint[])[2 + i % (cardinality($7::bigint[]) - 1)] END AS channel,
        date_trunc('hour', now()) + (i % 180) * interval '1 day' + (i % 12) * interval '1 hour'
            AS start_at,
        ($11::text[])[1 + abs(hashint4(i + 1000000)) % cardinality($11::text[])] AS kind,
        ($12::text[])[1 + abs(hashint4(i + 2000000)) % cardinality($12::text[])] AS word
    FROM generate_series(1, $8::int) AS i
    JOIN cities c ON c.n = 1 + abs(hashint4(i + 3000000)) % $9
)
INSERT INTO discovery_events (event_id, series_id, version, channel_id, status, title, start_at,
    end_at, timezone, local_date, place_id, latitude, longitude, classifications, search, event,
    changed_at)
SELECT md5($10 || i)::uuid, md5($10 || i)::uuid, 1,
    channel,
    CASE WHEN i % 40 = 0 THEN 'cancelled' ELSE 'published' END,
    initcap(word) || ' night ' || i, start_at, start_at + interval '2 hours', zone,
    (start_at AT TIME ZONE zone)::date, place_id, lat, lng, ARRAY[kind],
    setweight(to_tsvector('pinned_search', initcap(word) || ' night ' || i), 'A')
        || setweight(to_tsvector('pinned_search', name), 'B'),
    jsonb_build_object(
        'id', md5($10 || i)::uuid, 'channelId', channel,
        'title', initcap(word) || ' night ' || i,
        'startAt', to_char(start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'endAt', to_char((start_at + interval '2 hours') AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'timezone', zone, 'classifications', jsonb_build_array(kind),
        'approxLocation', jsonb_build_object('city', jsonb_build_object(
            'placeId', place_id, 'name', name, 'countryCode', country)),
        'description', 'A ' || word || ' evening for everyone. Bring friends.',
        'venue', jsonb_build_object('name', name || ' Hall ' || (i % 17),
                                    'address', (i % 200) || ' Main Street'),
        'ticketLinks', jsonb_build_array(jsonb_build_object(
            'url', 'https://tickets.example.com/' || i, 'label', 'Tickets')),
        'status', CASE WHEN i % 40 = 0 THEN 'cancelled' ELSE 'published' END,
        'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'updatedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')),
    now()
FROM made
"""


async def fill(database_url: str, events: int, cities: int) -> dict[str, Any]:
    """The read model with `events` rows across `cities` cities and 200 public channels,
    the first holding exactly 1,000 (the feed scenario's)."""
    places = [p for p in catalog().ranked if p.countryCode != "US"][: cities - 1]
    places.insert(0, catalog().by_id["place-new-york"])
    run = uuid.uuid4().hex[:8]
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('bench discovery')"
                                      " RETURNING id")  # fmt: skip
        channels = [r["id"] for r in await conn.fetch(
            "INSERT INTO channels (owner_account_id, name, visibility, slug)"
            " SELECT $1, 'Bench channel ' || n, 'public', $2 || '-' || n"
            " FROM generate_series(1, $3::int) AS n RETURNING id", account, f"bench-{run}",
            CHANNELS)]  # fmt: skip
        await conn.execute(
            _FILL, [p.id for p in places], [p.name for p in places],
            [p.countryCode for p in places], [p.timezone for p in places],
            [p.latitude for p in places], [p.longitude for p in places],
            channels, events, len(places), run, list(KINDS), list(WORDS), FEED_CHANNEL_EVENTS,
        )  # fmt: skip
        # As autovacuum would after such a load; the planner's picture of channels matters
        # as much as that of events (a stale one drives searches from the channels table).
        await conn.execute("ANALYZE discovery_events")
        await conn.execute("ANALYZE discovery_event_classifications")  # filled by a trigger
        await conn.execute("ANALYZE channels")
        slug = await conn.fetchval("SELECT slug FROM channels WHERE id = $1", channels[0])
        seconds = time.perf_counter() - started
    finally:
        await conn.close()
    return {"places": [(p.id, p.latitude, p.longitude) for p in places], "feed_slug": slug,
            "fill_seconds": round(seconds, 1), "events": events, "cities": len(places)}  # fmt: skip


def search_paths(places: list[tuple[str, float, float]], count: int = 2000) -> list[str]:
    """A mix of what people ask: a city's next week, a city and a word, a radius, an
    interest, a word anywhere; every one a first page of 20. They repeat (a few hundred
    distinct searches), so with the search cache on nearly every request is a hit."""
    today = datetime.now(UTC).date()
    paths = []
    for i in range(count):
        place, lat, lng = places[i % len(places)]
        start = today + timedelta(days=i % 60)
        week = f"from={start}&to={start + timedelta(days=7)}"
        word, kind = WORDS[i % len(WORDS)], ("music", "tech", "arts")[i % 3]
        paths.append(
            [
                f"/api/discovery/v1/events?placeId={place}&{week}",
                f"/api/discovery/v1/events?placeId={place}&q={word}",
                f"/api/discovery/v1/events?lat={lat:.4f}&lng={lng:.4f}&radiusKm=15&{week}",
                f"/api/discovery/v1/events?classification={kind}&{week}",
                f"/api/discovery/v1/events?q={word}",
            ][i % 5]
        )
    return paths


def distinct_search_paths(places: list[tuple[str, float, float]], count: int) -> list[str]:
    """The same five shapes, but (nearly) every request a search of its own: each shape's
    j-th request takes its own start day (of the 180 the events span) with its own city, word
    or interest, so a cache answers almost none of them, as on a read model taking changes."""
    today = datetime.now(UTC).date()
    paths = []
    for i in range(count):
        j = i // 5
        start, other = today + timedelta(days=j % 180), j // 180 + j
        place, lat, lng = places[other % len(places)]
        week = f"from={start}&to={start + timedelta(days=7 + j // 1440)}"
        word, kind = WORDS[other % len(WORDS)], KINDS[other % len(KINDS)]
        paths.append(
            [
                f"/api/discovery/v1/events?placeId={place}&{week}",
                f"/api/discovery/v1/events?placeId={place}&q={word}&from={start}",
                f"/api/discovery/v1/events?lat={lat:.4f}&lng={lng:.4f}&radiusKm=15&{week}",
                f"/api/discovery/v1/events?classification={kind}&{week}",
                f"/api/discovery/v1/events?q={word}&from={start}",
            ][i % 5]
        )
    return paths


async def cold_feed_build(url: str, slug: str) -> dict[str, float]:
    """The first request of each format builds the 1,000-event feed; later ones are cached."""
    timings = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for fmt in ("ics", "json", "atom"):
            started = time.perf_counter()
            response = await client.get(f"/feeds/channels/{slug}.{fmt}")
            response.raise_for_status()
            timings[fmt] = round((time.perf_counter() - started) * 1000, 1)
    return timings


async def read_scenario(
    name: str, urls: list[str], paths: list[str], rate: float, seconds: float,
    pids: dict[str, int], work_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    paths_file = work_dir / f"paths-{uuid.uuid4().hex[:8]}.json"
    paths_file.write_text(json.dumps(paths))
    out = work_dir / f"{paths_file.stem}-samples.json"
    cached_before = await search_cache_counts(urls)
    before, started, machine = snapshot(pids), time.perf_counter(), cpu_times()
    await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "bench.read_load", *(f"--url={u}" for u in urls),
        "--paths", str(paths_file),
        "--rate", str(rate), "--seconds", str(seconds), "--out", str(out)], check=True)  # fmt: skip
    wall = time.perf_counter() - started
    samples = json.loads(out.read_text())
    ok = [s for s in samples if s["status"] == 200]
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s["status"])] = statuses.get(str(s["status"]), 0) + 1
    return {
        "scenario": f"discovery: {name}", "replicas": len(urls), "offered_rate": rate,
        "seconds": seconds,
        "requests": len(samples), "ok": len(ok), "statuses": statuses,
        "latency_ms": {k: round(v * 1000, 1) for k, v in percentiles(
            [s["latency"] for s in ok]).items()},
        "machine_busy_percent": busy_percent(machine, cpu_times()),
        "process_usage": usage_delta(before, snapshot(pids), max(wall, 1e-3)),
        "search_cache": {result: count - cached_before[result] for result, count in
                         (await search_cache_counts(urls)).items()},
    }  # fmt: skip


async def search_cache_counts(urls: list[str]) -> dict[str, float]:
    """JSON searches answered from the discovery processes' caches (hit) or run (miss)."""
    counts = {"hit": 0.0, "miss": 0.0}
    async with httpx.AsyncClient(timeout=10) as client:
        for url in urls:
            for line in (await client.get(f"{url}/metrics")).text.splitlines():
                if line.startswith("pinned_discovery_search_cache_requests_total{"):
                    result = line.split('result="', 1)[1].split('"', 1)[0]
                    counts[result] += float(line.rsplit(" ", 1)[1])
    return counts


async def visibility_delay(
    gateway: str, discovery_url: str, key: str, channel_id: int, count: int = 100
) -> dict[str, Any]:
    """From each create's 201 to its event page answering 200: how long "published" takes
    to reach people (publisher, outbox relay, change stream, projector). One event at a
    time, polled every 10 ms, so the figure is the pipeline's, not a queue's."""
    delays = []
    start = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    async with httpx.AsyncClient(timeout=30) as client:
        for index in range(count):
            body = {
                "channelId": channel_id, "title": f"Visibility probe {index}",
                "startAt": start.isoformat(), "timezone": "UTC", "classifications": ["music"],
                "approxLocation": {"city": {"placeId": "place-london", "name": "London",
                                            "countryCode": "GB"}},
            }  # fmt: skip
            created = await client.post(
                f"{gateway}/api/public/v1/events", json=body,
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
            answered = time.perf_counter()
            event_id = created.json()["id"]
            while (await client.get(f"{discovery_url}/events/{event_id}")).status_code != 200:
                if time.perf_counter() - answered > 30:
                    break
                await asyncio.sleep(0.01)
            delays.append(time.perf_counter() - answered)
    return {
        "events": count,
        "created_status": created.status_code,
        "answer_to_page_ms": {k: round(v * 1000, 1) for k, v in percentiles(delays).items()},
    }
