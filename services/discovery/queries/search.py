"""Pure: a public search -> one SQL statement over the read model, and its opaque cursor.

Every shape has an index (migrations 0015, 0025, 0029): a city by (place_id, start_at), a channel
by (channel_id, start_at), a radius by the GiST index on the event's point, a classification by
(classification, start_at) in discovery_event_classifications, text by the GIN on the
tsvector, and anything else by (start_at). Local dates are compared with each event's own
local start date, and also turned into the widest instants they can mean anywhere (UTC+14 to
UTC-12) so the start_at index narrows the scan.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.core.json_body import UndecodableJson, from_opaque_json, opaque_json
from shared.domain.channels import LINKABLE, Visibility

_EARLIEST_OFFSET = timedelta(hours=14)  # Pacific/Kiritimati
_LATEST_OFFSET = timedelta(hours=12)  # Etc/GMT+12


class InvalidCursor(ValueError):
    """The cursor is not one this service made for the same search; its text says what is
    wrong, after the parameter's name ("... is damaged; ...")."""


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float

    @property
    def radius_m(self) -> float:
        return self.radius_km * 1000


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last event's start and id (the sort key)."""

    start_at: datetime
    event_id: uuid.UUID


@dataclass(frozen=True)
class SearchQuery:
    """What a person asked for. `visibilities`: public only for listings and search; the
    linkable ones (public and unlisted) when a channel is reached by its own link."""

    place_id: str | None = None
    channel_id: int | None = None
    near: Near | None = None
    date_from: date | None = None
    date_to: date | None = None
    starts_after: datetime | None = None
    classification: str | None = None
    text: str | None = None
    include_cancelled: bool = True
    visibilities: tuple[Visibility, ...] = ("public",)
    limit: int = 20
    after: Position | None = field(default=None, compare=False)

    def fingerprint(self) -> str:
        """Identifies the search apart from the page, so a cursor cannot cross searches."""
        described = replace(self, after=None, limit=0)
        return hashlib.sha256(repr(described).encode()).hexdigest()[:12]

    def linked(self) -> SearchQuery:
        return replace(self, visibilities=LINKABLE)


def encode_cursor(query: SearchQuery, last: Position) -> str:
    return opaque_json([last.start_at.isoformat(), str(last.event_id), query.fingerprint()])


def decode_cursor(query: SearchQuery, cursor: str) -> Position:
    try:
        found = from_opaque_json(cursor)
    except UndecodableJson as exc:
        raise InvalidCursor("is damaged; start again without it") from exc
    try:  # readable, yet not a search's shape: a people listing's
        start, event_id, fingerprint = found
        position = Position(datetime.fromisoformat(start), uuid.UUID(event_id))
    except (ValueError, TypeError):
        fingerprint, position = None, Position(datetime.min, uuid.UUID(int=0))
    if fingerprint != query.fingerprint():
        raise InvalidCursor("belongs to another search; start again without it")
    return position


ROW_COLUMNS = """d.event_id, d.series_id, d.recurrence_id, d.version, d.status, d.event,
       d.start_at, d.changed_at, d.channel_id, c.slug AS channel_slug, c.name AS channel_name"""

# The base URL ($1) as the start of a JSON string: its opening quote and its text escaped, no
# closing quote. A subquery, so PostgreSQL computes it once per statement, not once per row.
_BASE = "(SELECT left(to_json($1::text)::text, -1))"

# The event as the discovery API shows it, as JSON text ($1: the base URL): what the publisher
# stored, without the integrator's private fields, with its status and version (the row's
# `public_head`, migration 0025, kept by PostgreSQL without its closing brace), plus its links
# and its channel, appended as text. Its `id` is the event's, or an occurrence's own
# (`<event id>_<date>`, with `seriesId` and `recurrenceId` beside it). Python never decodes
# and re-encodes it for an API answer. Slugs and ids need no escaping (letters, digits, '-'
# and '_'); a channel's name is escaped by to_json.
PUBLIC_JSON = f"""(d.public_head
    || ', "url": ' || {_BASE} || '/events/' || d.public_id
    || '", "icsUrl": ' || {_BASE} || '/events/' || d.public_id
    || '.ics", "channel": {{"url": ' || {_BASE} || '/channels/' || c.slug
    || '", "name": ' || to_json(c.name)::text || ', "slug": "' || c.slug || '"}}}}')"""
# The same document built with jsonb from the row's `event` (about 20 us a row), for rows
# made on the fly that have no `public_head`: a planned occurrence no longer in its series
# (planning/planned.py). tests/integration/test_discovery_read_rows.py holds the two equal.
EVENT_JSON = """((d.event - 'sourceId' - 'sourceUpdatedAt') || jsonb_build_object(
           'status', d.status, 'version', d.version,
           'url', $1::text || '/events/' || (d.event->>'id'),
           'icsUrl', $1::text || '/events/' || (d.event->>'id') || '.ics',
           'channel', jsonb_build_object('slug', c.slug, 'name', c.name,
                                         'url', $1::text || '/channels/' || c.slug)))::text"""
FROM = "FROM discovery_events d JOIN channels c ON c.id = d.channel_id"
# A classification alone leads from its own index, in start order; its rows carry what the
# search filters on (local date, channel, status), so only the page's rows are read whole.
_BY_CLASSIFICATION = """FROM discovery_event_classifications k
JOIN channels c ON c.id = k.channel_id JOIN discovery_events d ON d.event_id = k.event_id"""
# The API's answer needs only the document and the page's sort key.
DOCUMENT_COLUMNS = f"d.event_id, d.start_at, {PUBLIC_JSON} AS public"

# ll_to_earth(d.latitude, d.longitude) without its cast to the `earth` domain, whose three
# CHECKs cost about 10 us a row: the same arithmetic, so earth_distance's result is unchanged.
# It is also the GiST index's expression (discovery_events_point, migration 0029), which the
# bounding box must name to use it.
EVENT_POINT = """cube(cube(cube(earth() * cos(radians(d.latitude)) * cos(radians(d.longitude))),
    earth() * cos(radians(d.latitude)) * sin(radians(d.longitude))),
    earth() * sin(radians(d.latitude)))"""


def search_sql(
    query: SearchQuery, public_base: str | None = None, *, documents: bool = False
) -> tuple[str, list[Any]]:
    """The statement and its arguments; it asks for one row more than the page to tell
    whether another page follows. Rows carry the read-model columns (feeds, JSON-LD), and
    with `public_base` also `public`, the API's JSON text of the event; with `documents`,
    only `public` and the sort key (event_id, start_at)."""
    args: list[Any] = [] if public_base is None else [public_base]
    columns = _columns(public_base, documents)

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    # The relation whose start, local date, status and order the statement reads.
    by_classification = query.classification is not None and not (
        query.place_id or query.channel_id is not None or query.near
    )
    t = "k" if by_classification else "d"
    where = [f"c.visibility = ANY({bind(list(query.visibilities))}::text[])"]
    if not by_classification:  # the classifications table holds no drafts
        where.insert(0, "d.status <> 'draft'")
    if query.place_id is not None:
        where.append(f"d.place_id = {bind(query.place_id)}")
    if query.channel_id is not None:
        where.append(f"d.channel_id = {bind(query.channel_id)}")
    if query.near is not None:
        point = f"ll_to_earth({bind(query.near.latitude)}, {bind(query.near.longitude)})"
        radius = bind(query.near.radius_m)
        where.append(f"earth_box({point}, {radius}) @> {EVENT_POINT}")
        where.append(f"sec_to_gc(cube_distance({point}, {EVENT_POINT})) <= {radius}")
    if query.date_from is not None:
        where.append(f"{t}.start_at >= {bind(earliest_instant(query.date_from))}")
        where.append(f"{t}.local_date >= {bind(query.date_from)}")
    if query.date_to is not None:
        where.append(f"{t}.start_at < {bind(latest_instant(query.date_to))}")
        where.append(f"{t}.local_date <= {bind(query.date_to)}")
    if query.starts_after is not None:
        where.append(f"{t}.start_at >= {bind(query.starts_after)}")
    if by_classification:
        where.append(f"k.classification = {bind(query.classification)}")
    elif query.classification is not None:
        where.append(f"d.classifications @> ARRAY[{bind(query.classification)}::text]")
    if query.text:
        where.append(f"d.search @@ websearch_to_tsquery('pinned_search', {bind(query.text)})")
    if not query.include_cancelled:
        where.append(f"{t}.status = 'published'")
    if query.after is not None:
        after = f"({bind(query.after.start_at)}::timestamptz, {bind(query.after.event_id)}::uuid)"
        where.append(f"({t}.start_at, {t}.event_id) > {after}")
    source = _BY_CLASSIFICATION if by_classification else FROM
    sql = (
        f"SELECT {columns} {source} WHERE {' AND '.join(where)}"
        f" ORDER BY {t}.start_at, {t}.event_id LIMIT {bind(query.limit + 1)}"
    )
    return sql, args


def _columns(public_base: str | None, documents: bool) -> str:
    if documents and public_base is None:
        raise ValueError("documents need the public base URL")
    if documents:
        return DOCUMENT_COLUMNS
    return ROW_COLUMNS if public_base is None else f"{ROW_COLUMNS}, {PUBLIC_JSON} AS public"


def earliest_instant(day: date) -> datetime:
    """The first instant at which it is `day` somewhere on Earth."""
    return datetime.combine(day, time(0), UTC) - _EARLIEST_OFFSET


def latest_instant(day: date) -> datetime:
    """The instant after which it is past `day` everywhere on Earth."""
    return datetime.combine(day + timedelta(days=1), time(0), UTC) + _LATEST_OFFSET
