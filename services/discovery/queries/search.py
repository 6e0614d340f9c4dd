"""Pure: a public search -> one SQL statement over the read model, and its opaque cursor.

Every shape has an index (migration 0015): a city by (place_id, start_at), a channel by
(channel_id, start_at), a radius by the GiST index on ll_to_earth, a classification by the GIN
on classifications, text by the GIN on the tsvector, and anything else by (start_at). Local
dates are compared with each event's own local start date, and also turned into the widest
instants they can mean anywhere (UTC+14 to UTC-12) so the start_at index narrows the scan.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.domain.channels import LINKABLE, Visibility

_EARLIEST_OFFSET = timedelta(hours=14)  # Pacific/Kiritimati
_LATEST_OFFSET = timedelta(hours=12)  # Etc/GMT+12


class InvalidCursor(ValueError):
    """The cursor is not one this service made for the same search."""


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
    raw = json.dumps([last.start_at.isoformat(), str(last.event_id), query.fingerprint()])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(query: SearchQuery, cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        start, event_id, fingerprint = json.loads(base64.urlsafe_b64decode(padded))
        position = Position(datetime.fromisoformat(start), uuid.UUID(event_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("the cursor is damaged; start again without it") from exc
    if fingerprint != query.fingerprint():
        raise InvalidCursor("the cursor belongs to another search; start again without it")
    return position


ROW_COLUMNS = """d.event_id, d.series_id, d.recurrence_id, d.version, d.status, d.event,
       d.start_at, d.changed_at, d.channel_id, c.slug AS channel_slug, c.name AS channel_name"""

# The event as the discovery API shows it, built by PostgreSQL as JSON text ($1: the base
# URL): what the publisher stored, without the integrator's private fields, plus its channel
# and its links. Its `id` is the event's, or an occurrence's own (`<event id>_<date>`, with
# `seriesId` and `recurrenceId` beside it). Python never decodes and re-encodes it for an API
# answer.
PUBLIC_JSON = """((d.event - 'sourceId' - 'sourceUpdatedAt') || jsonb_build_object(
           'status', d.status, 'version', d.version,
           'url', $1::text || '/events/' || (d.event->>'id'),
           'icsUrl', $1::text || '/events/' || (d.event->>'id') || '.ics',
           'channel', jsonb_build_object('slug', c.slug, 'name', c.name,
                                         'url', $1::text || '/channels/' || c.slug)))::text"""
FROM = "FROM discovery_events d JOIN channels c ON c.id = d.channel_id"


def search_sql(query: SearchQuery, public_base: str | None = None) -> tuple[str, list[Any]]:
    """The statement and its arguments; it asks for one row more than the page to tell
    whether another page follows. Rows carry the read-model columns (feeds, JSON-LD), and
    with `public_base` also `public`, the API's JSON text of the event."""
    args: list[Any] = [] if public_base is None else [public_base]
    columns = ROW_COLUMNS if public_base is None else f"{ROW_COLUMNS}, {PUBLIC_JSON} AS public"

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = ["d.status <> 'draft'", f"c.visibility = ANY({bind(list(query.visibilities))}::text[])"]

    if query.place_id is not None:
        where.append(f"d.place_id = {bind(query.place_id)}")
    if query.channel_id is not None:
        where.append(f"d.channel_id = {bind(query.channel_id)}")
    if query.near is not None:
        point = f"ll_to_earth({bind(query.near.latitude)}, {bind(query.near.longitude)})"
        radius = bind(query.near.radius_m)
        where.append(f"earth_box({point}, {radius}) @> ll_to_earth(d.latitude, d.longitude)")
        where.append(f"earth_distance({point}, ll_to_earth(d.latitude, d.longitude)) <= {radius}")
    if query.date_from is not None:
        where.append(f"d.start_at >= {bind(earliest_instant(query.date_from))}")
        where.append(f"d.local_date >= {bind(query.date_from)}")
    if query.date_to is not None:
        where.append(f"d.start_at < {bind(latest_instant(query.date_to))}")
        where.append(f"d.local_date <= {bind(query.date_to)}")
    if query.starts_after is not None:
        where.append(f"d.start_at >= {bind(query.starts_after)}")
    if query.classification is not None:
        where.append(f"d.classifications @> ARRAY[{bind(query.classification)}::text]")
    if query.text:
        where.append(f"d.search @@ websearch_to_tsquery('pinned_search', {bind(query.text)})")
    if not query.include_cancelled:
        where.append("d.status = 'published'")
    if query.after is not None:
        after = f"({bind(query.after.start_at)}::timestamptz, {bind(query.after.event_id)}::uuid)"
        where.append(f"(d.start_at, d.event_id) > {after}")
    sql = (
        f"SELECT {columns} {FROM} WHERE {' AND '.join(where)}"
        f" ORDER BY d.start_at, d.event_id LIMIT {bind(query.limit + 1)}"
    )
    return sql, args


def earliest_instant(day: date) -> datetime:
    """The first instant at which it is `day` somewhere on Earth."""
    return datetime.combine(day, time(0), UTC) - _EARLIEST_OFFSET


def latest_instant(day: date) -> datetime:
    """The instant after which it is past `day` everywhere on Earth."""
    return datetime.combine(day + timedelta(days=1), time(0), UTC) + _LATEST_OFFSET
