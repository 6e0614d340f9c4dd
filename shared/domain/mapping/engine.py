"""From a sender's document to an event: each mapped field's expression evaluated, its value
made the shape the field takes, the integration's defaults added where the document says
nothing, then the same validation as `POST /events`.

Never a silently wrong default: a city or zone the document names comes from the document
(a city it names but we cannot resolve is a field error naming where it was mapped from);
a city named without a zone brings its own zone; the integration's defaults apply only when
the document names none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from shared.core.numerals import ascii_digits
from shared.domain import rich_text
from shared.domain.events import (
    DESCRIPTION_MAX_LENGTH,
    EventInput,
    FieldError,
    InvalidEvent,
    parse_event,
)
from shared.domain.mapping import media, times
from shared.domain.mapping.expressions import Expression, compile_expression
from shared.domain.mapping.functions import MappingContext, MappingProblem, ProjectFunctions
from shared.domain.mapping.notes import Note
from shared.domain.place_names import AmbiguousPlace, PlaceNotFound, locate
from shared.domain.places import find as find_place

_NUMBERS = ("venue.coordinates.lat", "venue.coordinates.lng", "price.min", "price.max")
_TIMES = ("startAt", "endAt", "sourceUpdatedAt")
_CITY = "approxLocation.city"


@dataclass(frozen=True)
class Mapped:
    """The event, and what the owner should know about how it was made (values left out by
    a value map, an image without alt text, a shortened description)."""

    event: EventInput
    notes: list[Note]


class UnmappedEvent(InvalidEvent):
    """InvalidEvent, with what the mapping noted on the way: a value map that left out every
    category explains the `classifications` it made missing."""

    def __init__(self, errors: list[FieldError], notes: list[Note]) -> None:
        super().__init__(errors)
        self.notes = notes


def evaluate(document: Any, text: str, context: MappingContext) -> Any:
    """One expression's value (a document id, version or action where a sender's defaults do
    not fit). Raises MappingProblem, JMESPathError or InvalidExpression."""
    options = jmespath.Options(custom_functions=ProjectFunctions(context))
    return compile_expression(text).evaluate(document, options)


def map_event(
    document: Any,
    mapping: Mapping[str, str],
    defaults: Mapping[str, Any],
    context: MappingContext,
    *,
    channel_id: int,
    source_id: str,
    status: str,
) -> Mapped:
    """The event `document` describes under `mapping` (event field -> expression), or
    UnmappedEvent naming each field and the expression it was mapped from, with the notes."""
    options = jmespath.Options(custom_functions=ProjectFunctions(context))
    body: dict[str, Any] = {}
    errors: list[FieldError] = []
    # Images come last: without alt text of their own they are described by the title.
    for target, text in sorted(mapping.items(), key=lambda item: item[0] == "images"):
        context.target = target
        if target == "images":
            context.title = body.get("title")
        try:
            expression = compile_expression(text)
            value = _shaped(target, expression, document, options, context)
        except (MappingProblem, JMESPathError, ValueError) as exc:
            code = getattr(exc, "code", "mapping_failed")
            errors.append(FieldError(target, code, str(exc)))
            continue
        if value is not None and value != "" and value != []:
            _put(body, target, value)
        elif value == [] and target == "classifications":
            context.note(
                target, "no_classification", "no classification of the document is ours (value map)"
            )
    unresolved = _resolve_city(body)
    errors += unresolved
    _drop_partial_price(body, context)
    _name_venue_by_its_address(body, context)
    _apply_defaults(body, defaults, context)
    body.update(channelId=channel_id, sourceId=source_id, status=status)
    errors += times.localize(body)
    failed = {e.path for e in errors} | ({_CITY} if unresolved else set())
    city_failed = any(path == _CITY or path.startswith(f"{_CITY}.") for path in failed)
    if city_failed and "timezone" not in body:
        failed.add("timezone")  # it would have come from the city: the city's error says it
    try:
        event = parse_event(body)
    except InvalidEvent as exc:
        errors += [e for e in exc.errors if not _about_failed(e.path, failed)]
    if errors:
        raise UnmappedEvent(_with_sources(errors, mapping), context.notes)
    return Mapped(event, context.notes)


def _about_failed(path: str, failed: set[str]) -> bool:
    """One problem, one error: validation's error at `path` is left out when it is about a
    field whose mapping already failed with a more specific error: that field, a part of it,
    or the field holding it (`approxLocation` missing because its city was not found)."""
    return any(path == f or f.startswith(f"{path}.") or path.startswith(f"{f}.") for f in failed)


def _shaped(
    target: str,
    expression: Expression,
    document: Any,
    options: jmespath.Options,
    context: MappingContext,
) -> Any:
    value = expression.evaluate(document, options)
    if target in _TIMES and times.is_zero_date(value):
        return None  # WordPress's "unknown"
    if target == "sourceUpdatedAt" and isinstance(value, str):
        return times.utc_if_naive(value)
    if target in _NUMBERS and isinstance(value, str):
        return _float_or_text(value)
    if target == "capacity" and isinstance(value, str) and ascii_digits(value.strip()):
        return int(value)  # forms and spreadsheets send numbers as text
    if target == "capacity" and isinstance(value, float) and value.is_integer():
        return int(value)  # and some number fields send 50.0
    if target == "recurrence.exdates" and isinstance(value, str):
        return [day.strip() for day in value.split(",") if day.strip()]  # one text cell
    if target == "classifications":
        return _slugs(value)
    if target == "description" and value is not None:
        return _description(value, context)
    if target == "images" and not _items_of(value, "alt"):
        return media.image_items(value, None, context)
    if target == "ticketLinks" and not _items_of(value, "url"):
        return media.ticket_items(value, None, context)
    if target == "approxLocation.city" and isinstance(value, str) and value.strip():
        raise MappingProblem(
            "unknown_place",
            f"'{value}' is a name, not a place: map place(<name>, <country>) here",
        )
    return value


def _items_of(value: Any, key: str) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and key in v for v in value)


def _float_or_text(value: str) -> float | str:
    try:
        return (
            float(value.replace(",", "."))
            if value.count(",") == 1 and "." not in value
            else float(value)
        )
    except ValueError:
        return value  # left for validation to name


def _slugs(value: Any) -> Any:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return value
    slugs = [v.strip() if isinstance(v, str) else v for v in value]
    return list(dict.fromkeys(s for s in slugs if s))


def _description(value: Any, context: MappingContext) -> str | None:
    text = rich_text.rich_text(value)
    if text is None or len(text) <= DESCRIPTION_MAX_LENGTH:
        return text
    cut = text[: DESCRIPTION_MAX_LENGTH - 1]
    for boundary in ("\n\n", "\n", " "):
        if boundary in cut[DESCRIPTION_MAX_LENGTH // 2 :]:
            cut = cut[: cut.rindex(boundary)]
            break
    context.note(
        "description", "text_shortened", f"shortened from {len(text)} to {len(cut) + 1} characters"
    )
    return rich_text.to_description(cut.rstrip() + "…")


def _drop_partial_price(body: dict[str, Any], context: MappingContext) -> None:
    """A price is optional: amounts without a currency (WooCommerce sends none: it is the
    store's) leave the price out, with a note, instead of losing the event; a currency
    without amounts ("Free", "Donation") leaves it out too."""
    price = body.get("price")
    if not isinstance(price, dict):
        return
    if "currency" in price and ("min" in price or "max" in price):
        price.setdefault("min", price.get("max"))  # one amount is both ends
        price.setdefault("max", price.get("min"))
        return
    if "currency" not in price:
        context.note(
            "price",
            "price_without_currency",
            "price left out: no currency (map price.currency, e.g. 'EUR')",
        )
    del body["price"]


def _name_venue_by_its_address(body: dict[str, Any], context: MappingContext) -> None:
    """Many content types have an address field and no venue name: the address's first part
    ("Rathausplatz 1" of "Rathausplatz 1, 1010 Wien") names the venue, with a note, rather
    than the whole event being refused for a missing venue name."""
    venue = body.get("venue")
    if not isinstance(venue, dict) or venue.get("name"):
        return
    address = venue.get("address")
    if not isinstance(address, str) or not address.strip():
        return
    first = address.strip().splitlines()[0].split(",")[0].strip()
    venue["name"] = first[:200] if first else address.strip()[:200]
    context.note(
        "venue.name",
        "venue_named_by_address",
        f"venue named by its address ('{venue['name']}'): map venue.name to name it",
    )


def _resolve_city(body: dict[str, Any]) -> list[FieldError]:
    """A city the document names without a place id (`approxLocation.city.name` and
    `countryCode` mapped by path) is looked up by name."""
    city = body.get("approxLocation", {}).get("city")
    if not isinstance(city, dict) or city.get("placeId") or not city.get("name"):
        return []
    try:
        place = locate(str(city["name"]), str(city.get("countryCode") or ""))
    except (PlaceNotFound, AmbiguousPlace) as exc:
        code = "ambiguous_place" if isinstance(exc, AmbiguousPlace) else "unknown_place"
        return [FieldError("approxLocation.city.name", code, str(exc))]
    body["approxLocation"]["city"] = {
        "placeId": place.id,
        "name": place.name,
        "countryCode": place.countryCode,
    }
    return []


def _apply_defaults(
    body: dict[str, Any], defaults: Mapping[str, Any], context: MappingContext
) -> None:
    city = body.get("approxLocation", {}).get("city")
    if city is None and defaults.get("city"):
        body["approxLocation"] = {"city": dict(defaults["city"])}
    elif "timezone" not in body and isinstance(city, dict):
        place = find_place(str(city.get("placeId")))
        if place is not None:  # the document's city, not the integration's zone
            body["timezone"] = place.timezone
            context.note(
                "timezone",
                "timezone_from_city",
                f"timezone {place.timezone} taken from the city {place.name}",
            )
    if "timezone" not in body and defaults.get("timezone"):
        body["timezone"] = defaults["timezone"]
    if not body.get("classifications") and defaults.get("classifications"):
        body["classifications"] = list(defaults["classifications"])


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _with_sources(errors: list[FieldError], mapping: Mapping[str, str]) -> list[FieldError]:
    """Name where in the sender's document each field was looked for: the expression of the
    field itself, else of the nearest mapped field it holds or is part of."""
    sourced = []
    for error in errors:
        related = [
            target
            for target in mapping
            if error.path == target
            or error.path.startswith(f"{target}.")
            or target.startswith(f"{error.path}.")
        ]
        # The closest: the field itself, else the longest one holding it, or the shortest
        # one it holds ("approxLocation" missing is place(...)'s, mapped to its city, not a
        # country code mapped beside it).
        nearest = min(
            related, key=lambda t: (t != error.path, abs(len(t) - len(error.path))), default=None
        )
        message = error.message
        if nearest is not None:
            message = f"{message} (mapped from '{mapping[nearest]}')"
        sourced.append(FieldError(error.path, error.code, message))
    return sourced
