"""Query parameters of the public routes -> a SearchQuery; each bad one is a 400 naming it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from services.discovery.queries.search import (
    InvalidCursor,
    Near,
    SearchQuery,
    decode_cursor,
)
from services.discovery.web.errors import InvalidParameter
from shared.core.numerals import ascii_digits
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.places import Place
from shared.domain.places import find as find_place

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_RADIUS_KM = 500.0
MAX_TEXT = 200
MAX_DAYS = 366
SEARCH_PARAMETERS = (
    "q", "placeId", "lat", "lng", "radiusKm", "from", "to", "classification",
    "includeCancelled", "limit", "cursor",
)  # fmt: skip


def search_query(
    params: QueryParams,
    *,
    place_id: str | None = None,
    channel_id: int | None = None,
    strict: bool = False,
) -> SearchQuery:
    """Every filter of `GET /api/discovery/v1/events` and `/search`; a city page pins its
    place, a channel page its channel. Dates default to from today, in the place's zone.

    `strict` (the JSON API) refuses a parameter it does not know, so a misspelt filter
    (`clasification=`) is a 400 rather than an unfiltered answer; the HTML pages ignore
    unknown ones, as shared links carry `utm_source` and the like. A parameter given twice is
    refused at the edge for the JSON API (middleware.py); a page takes its first value."""
    return _search_query(first_values(params), place_id, channel_id, strict)


def first_values(params: QueryParams) -> dict[str, str]:
    """Each parameter's first value (Starlette's `get` answers the last)."""
    return {name: params.getlist(name)[0] for name in params}


def _search_query(
    params: Mapping[str, str], place_id: str | None, channel_id: int | None, strict: bool
) -> SearchQuery:
    if strict:
        _refuse_unknown(params)
    place = find_place(place_id) if place_id else _place(params.get("placeId"))
    zone = ZoneInfo(place.timezone) if place is not None else UTC
    date_from = _date(params, "from") or datetime.now(zone).date()
    date_to = _date(params, "to")
    # Without 'from' the range starts today (the place's, else UTC's): say so when it matters.
    start = "'from'" if "from" in params else f"'from' (today, {date_from}, when not given)"
    if date_to is not None and date_to < date_from:
        raise InvalidParameter("to", f"is before {start}")
    if date_to is not None and (date_to - date_from).days > MAX_DAYS:
        raise InvalidParameter("to", f"is more than {MAX_DAYS} days after {start}")
    query = SearchQuery(
        place_id=place.id if place is not None else None,
        channel_id=channel_id,
        near=_near(params),
        date_from=date_from,
        date_to=date_to,
        classification=_classification(params.get("classification")),
        text=_text(params.get("q")),
        include_cancelled=_flag(params, "includeCancelled", default=True),
        limit=_limit(params),
    )
    cursor = params.get("cursor")
    if not cursor:
        return query
    try:
        return replace(query, after=decode_cursor(query, cursor))
    except InvalidCursor as exc:
        raise InvalidParameter("cursor", str(exc)) from None


CHANNEL_PARAMETERS = ("q", "limit", "cursor")
CHANNEL_PAGE = 50


def channel_listing(params: QueryParams) -> tuple[str | None, int]:
    """`GET /api/discovery/v1/channels`' text (`q`, at most MAX_TEXT characters) and page
    size (`limit`, 1-100, default 50); an unknown parameter is refused, as a search's is."""
    given = first_values(params)
    for name in given:
        if name not in CHANNEL_PARAMETERS:
            known = ", ".join(CHANNEL_PARAMETERS)
            raise InvalidParameter(name, f"is not a parameter of this listing (known: {known})")
    raw = given.get("limit")
    limit = CHANNEL_PAGE
    if raw is not None and raw != "":
        if not ascii_digits(raw) or not 1 <= int(raw) <= MAX_LIMIT:
            raise InvalidParameter("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw)
    return _text(given.get("q")), limit


def _refuse_unknown(params: Mapping[str, str]) -> None:
    for name in params:
        if name not in SEARCH_PARAMETERS:
            known = ", ".join(SEARCH_PARAMETERS)
            raise InvalidParameter(name, f"is not a search parameter (known: {known})")


def known_place(place_id: str) -> Place | None:
    return find_place(place_id)


def _place(raw: str | None) -> Place | None:
    if raw is None or raw == "":
        return None
    place = find_place(raw)
    if place is None:
        raise InvalidParameter("placeId", "is not a known place id (e.g. place-new-york)")
    return place


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(name, "must be a date, YYYY-MM-DD") from None


def _number(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # also refuses NaN
        raise InvalidParameter(name, f"must be a number from {low:g} to {high:g}")
    return value


def _near(params: Mapping[str, str]) -> Near | None:
    lat = _number(params, "lat", -90, 90)
    lng = _number(params, "lng", -180, 180)
    radius = _number(params, "radiusKm", 0.1, MAX_RADIUS_KM)
    given = [v is not None for v in (lat, lng)]
    if any(given) and not all(given):
        raise InvalidParameter("lat" if lat is None else "lng", "is needed with the other one")
    if lat is None or lng is None:
        if radius is not None:
            raise InvalidParameter("radiusKm", "needs lat and lng")
        return None
    return Near(lat, lng, radius if radius is not None else 25.0)


def _classification(raw: str | None) -> str | None:
    if not raw:
        return None
    if raw not in CLASSIFICATIONS:
        raise InvalidParameter("classification", "is not a known classification slug")
    return raw


def _text(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidParameter("q", f"is longer than {MAX_TEXT} characters")
    return text or None


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise InvalidParameter(name, "must be true or false")
    return raw.lower() == "true"


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not ascii_digits(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)
