"""Hypothesis strategies for event bodies as senders really send them, and worse.

Text mixes what CMSs and feeds send (HTML and entities, scripts of every kind, emoji, combining
marks, line and paragraph separators, byte-order marks) with what no store can hold (NUL, lone
surrogates). Times span Python's whole range with the zones whose offsets are most unusual;
numbers include NaN, infinities and integers far past any float. The mix is tuned so that
about half the bodies pass validation: the property tests need both halves.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from shared.domain.classifications import CLASSIFICATIONS

# Offsets of +14:00, -11:00, +05:45, +13:45 and -03:30; one zone with half-hour DST, one with
# negative DST (Europe/Dublin), one that moved across the date line (Pacific/Apia).
ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Dublin",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Apia",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Africa/Casablanca",
)

SENDER_TEXT = (
    "Jazz &amp; Blues Night",
    "<p>Doors at <strong>7pm</strong></p><!-- wp:paragraph -->",
    "<script>alert('x')</script>",
    "Café Müller — Tanztheater",
    "東京ジャズ祭 2026",
    "مهرجان الموسيقى",
    "🎷 Jazz 🎺 Night 👩🏽‍🎤",
    "e\u0301te\u0301",  # combining accents
    "line one\r\nline two\u2028line three\u2029",
    "\ufeffBOM-led title",
    "zero\u200bwidth",
    "tab\tand\vvertical\x0bcontrols\x1f",
    "literally \\u0000 (escaped, harmless)",
    "São Paulo",
    "x" * 200,
)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], one_in: int = 6) -> Any:
    """`usual`, and one draw in `one_in` from `odd`."""
    return st.integers(1, one_in).flatmap(lambda n: odd if n == 1 else usual)


_ALPHABET = st.one_of(
    st.characters(exclude_categories=()),  # every code point, lone surrogates included
    st.sampled_from("\x00\ud800\udfff\u2028\ufeff\u200b "),
)
text = mostly(
    st.one_of(st.sampled_from(SENDER_TEXT), st.text(min_size=1, max_size=30)),
    st.text(_ALPHABET, min_size=1, max_size=30),
)
optional_text = st.one_of(st.none(), text)

numbers = mostly(
    st.floats(min_value=0, max_value=10**12),
    st.one_of(
        st.floats(),  # NaN, infinities, negatives, subnormals
        st.integers(min_value=-(10**30), max_value=10**30),
        st.sampled_from([0, 10**12, 10**12 + 1, 5e-324, 1e308]),
    ),
)

_EDGES = st.sampled_from(
    [
        datetime(1899, 12, 31, 23, 59, 59),
        datetime(1900, 1, 1),
        datetime(1900, 1, 1, 12),
        datetime(2200, 12, 31, 12),
        datetime(2200, 12, 31, 23, 59, 59, 999_999),
        datetime(2201, 1, 1),
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23),
    ]
)
walls = mostly(
    st.one_of(
        st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30)),
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    ),
    st.one_of(st.datetimes(), _EDGES),
)


@st.composite
def moment(draw: st.DrawFn, zone: str) -> str:
    """An ISO 8601 date-time, usually with the zone's offset on that date, else any offset."""
    wall = draw(walls)
    if draw(st.integers(0, 9)) == 0:
        minutes = draw(st.integers(-18 * 60, 18 * 60))
        return wall.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
    try:
        return wall.replace(tzinfo=ZoneInfo(zone), fold=draw(st.integers(0, 1))).isoformat()
    except OverflowError:  # year 1 or 9999 in a far zone: send it in UTC instead
        return wall.isoformat() + "Z"


_CITIES = (
    ("place-new-york", "US"),
    ("place-paris", "FR"),
    ("place-tokyo", "JP"),
    ("place-sao-paulo", "BR"),
    ("place-kathmandu", "NP"),
)


@st.composite
def city(draw: st.DrawFn) -> dict[str, Any]:
    place_id, country = draw(st.sampled_from(_CITIES))
    return {"placeId": place_id, "name": draw(text), "countryCode": country}


def _https(path: str) -> str:
    return f"https://cdn.example.com/{path}"


images = st.lists(
    st.fixed_dictionaries({"url": text.map(_https), "alt": text}), min_size=1, max_size=3
)
ticket_links = st.lists(
    st.fixed_dictionaries({"url": text.map(_https)}, optional={"label": text}),
    min_size=1,
    max_size=2,
)
venues = st.fixed_dictionaries(
    {"name": text},
    optional={
        "address": text,
        "coordinates": st.fixed_dictionaries(
            {"lat": mostly(st.floats(-90, 90), numbers), "lng": st.floats(-180, 180)}
        ),
    },
)
prices = st.fixed_dictionaries(
    {
        "min": numbers,
        "max": st.one_of(numbers, st.just(10**12)),
        "currency": st.sampled_from(["USD", "EUR", "JPY", "VND"]),
    }
)
classifications = mostly(
    st.lists(st.sampled_from(sorted(CLASSIFICATIONS)), min_size=1, max_size=5, unique=True),
    st.lists(text, min_size=1, max_size=2),
)


# Recurrences: mostly rules any start is the first occurrence of (DAILY), sometimes ones it
# usually is not (a weekday, a month day: refused with the part named), unbounded ones and
# sender text; now and then EXDATEs (most fall on no occurrence: refused).
recurrences = st.fixed_dictionaries(
    {
        "rrule": mostly(
            st.sampled_from(["FREQ=DAILY;COUNT=3", "RRULE:freq=daily;interval=2;count=4"]),
            st.sampled_from(
                ["FREQ=WEEKLY;BYDAY=TU;COUNT=4", "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3",
                 "FREQ=DAILY", "FREQ=DAILY;UNTIL=22001231"]
            ) | text,
            one_in=3,
        ),
        "exdates": mostly(st.just([]), st.lists(mostly(st.dates().map(str), text), max_size=2)),
    }
)  # fmt: skip


def _optional_fields(zone: str) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "endAt": moment(zone),
        "recurrence": recurrences,
        "description": text,
        "venue": venues,
        "images": images,
        "ticketLinks": ticket_links,
        "price": prices,
        "sourceId": text,
        "sourceUpdatedAt": moment("UTC"),
        "status": st.sampled_from(["draft", "published"]),
    }


@st.composite
def event_bodies(draw: st.DrawFn, channel_id: int) -> dict[str, Any]:
    """A `POST /events` body for `channel_id`: every field, required and optional, drawn."""
    zone = draw(st.sampled_from(ZONES))
    required = {
        "channelId": st.just(channel_id),
        "title": text,
        "startAt": moment(zone),
        "timezone": st.just(zone),
        "classifications": classifications,
        "approxLocation": city().map(lambda c: {"city": c}),
    }
    body: dict[str, Any] = draw(st.fixed_dictionaries(required, optional=_optional_fields(zone)))
    return body


@st.composite
def patch_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A `PATCH /events/{id}` body: any subset of the changeable fields, some cleared."""
    zone = draw(st.sampled_from(ZONES))
    fields = {
        "title": text,
        "startAt": moment(zone),
        "timezone": st.just(zone),
        "classifications": classifications,
        "approxLocation": city().map(lambda c: {"city": c}),
        **_optional_fields(zone),
    }
    fields.pop("status")
    clearable = {name: mostly(s, st.none(), one_in=10) for name, s in fields.items()}
    body: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=clearable))
    return body


@st.composite
def occurrence_changes(draw: st.DrawFn) -> dict[str, Any]:
    """A `PATCH /events/{id}/occurrences/{start}` body: a new start or end, a status."""
    zone = draw(st.sampled_from(ZONES))
    fields = {
        "startAt": mostly(moment(zone), st.none(), one_in=5),
        "endAt": mostly(moment(zone), st.none(), one_in=5),
        "status": mostly(st.sampled_from(["cancelled", "published"]), text),
    }
    body: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=fields))
    return body


# Raw request bodies, for the fuzz tests of the JSON decoder and of every endpoint that reads
# a body: valid documents, broken ones, and the shapes public bug reports used against APIs.
_JSON_TRAPS = (
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"9" * 4_400,  # past the interpreter's int digit limit
    b"1e999999",
    b'"\\u0000"',
    b'"\\ud800"',
    b'"\\udfff\\ud800"',
    b'"\\u00"',
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'{"a": 1, "a": 2}',
    b"\xff\xfe\x00{",
)


@st.composite
def _nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.one_of(st.integers(1, 80), st.integers(1, 20_000)))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    inner = draw(st.sampled_from([b"1", b"[]", b'"x"']))
    closed = draw(st.booleans())
    return opener * depth + inner + (closer * depth if closed else b"")


@st.composite
def _mutated(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> bytes:
    raw = bytearray(_dumps(draw(valid), ascii_only=draw(st.booleans())))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["insert", "delete", "trap", "truncate"]))
        if kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 4))]
        elif kind == "trap":
            raw[at:at] = draw(st.sampled_from(_JSON_TRAPS))
        else:
            del raw[at:]
    return bytes(raw)


def _dumps(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def raw_bodies(valid: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[bytes]:
    """Bytes a client may send as a JSON body: `valid` documents (event bodies if none are
    given) as they are, mutated, or replaced by traps, deep nesting or arbitrary bytes."""
    documents = valid if valid is not None else event_bodies(channel_id=42)
    return st.one_of(
        documents.map(lambda d: _dumps(d, ascii_only=True)),
        _mutated(documents),
        st.sampled_from(_JSON_TRAPS),
        _nested(),
        st.binary(max_size=64),
    )
