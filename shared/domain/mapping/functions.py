"""The project's JMESPath functions, for mapping a sender's content to event fields.

- `rich_text(v)`: the description format from whichever rich text `v` is (Strapi Blocks,
  Portable Text, Contentful Rich Text, HTML, Markdown); `html_text`, `markdown_text`,
  `wordpress_text`, `strapi_blocks_text`, `portable_text`, `contentful_text` for one format.
- `plain_text(v)`: text without markup, for titles and names (HTML tags dropped, a `<word>`
  that is no HTML element kept as text, entities such as `&#038;` decoded, whitespace
  collapsed).
- `place(name, country[, region])`, `place(name, country, lat, lng)`: the catalogue city
  `{placeId, name, countryCode}`, null when `name` is empty; an unknown or ambiguous name is
  a field error.
- `value_map(v, 'map')`: `v` (a string or an array) through the integration's value map.
- `media_url(url)`, `join_url(base, path)`: an absolute URL (relative ones joined to the
  integration's `mediaBaseUrl`).
- `images(media[, alt])`: `images` items from a URL, a media object or an array of them,
  with `alt` (else the event's title) where the media has no alt text.
- `ticket_links(url[, label])`: `ticketLinks` items from a URL or an array of them.
- `localized(field)`: a localized field's value in the integration's `locale`, else its first.
- `numbers(text)`: the numbers written in `text` (`"EUR 10-20"` -> `[10, 20]`, `"Free"` -> `[]`).
- `unix_time(v[, 'ms'])`: Unix time in seconds (or milliseconds) as an ISO 8601 UTC instant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jmespath import functions

from shared.domain import rich_text
from shared.domain.field_errors import storable_text
from shared.domain.mapping import media, values
from shared.domain.mapping.expressions import Expression
from shared.domain.mapping.notes import Note
from shared.domain.place_names import AmbiguousPlace, PlaceNotFound, locate


class MappingProblem(ValueError):
    """A function could not do what the mapping asked; `code` is the field error's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class MappingContext:
    """An integration's settings the functions use, and the notes they leave."""

    media_base_url: str | None = None
    value_maps: dict[str, values.ValueMap] = field(default_factory=dict)
    locale: str | None = None
    notes: list[Note] = field(default_factory=list)
    # Alt text for images that carry none: the event's title, once it is mapped.
    title: str | None = None
    # The event field being mapped: what a function's note is about.
    target: str = ""

    def note(self, path: str, code: str, message: str) -> None:
        self.notes.append(Note(path, code, message))


_ANY: functions._Signature = {"types": []}
_MORE: functions._Signature = {"types": [], "variadic": True}
_STRING: functions._Signature = {"types": ["string"]}


def _converter(convert: Callable[[Any], str | None]) -> Any:
    @functions.signature(_ANY)
    def call(self: ProjectFunctions, value: Any) -> str | None:
        return convert(value)

    return call


class ProjectFunctions(functions.Functions):
    def __init__(self, context: MappingContext) -> None:
        self.context = context

    _func_rich_text = _converter(rich_text.rich_text)
    _func_html_text = _converter(rich_text.from_html)
    _func_markdown_text = _converter(rich_text.from_markdown)
    _func_wordpress_text = _converter(rich_text.from_wordpress)
    _func_strapi_blocks_text = _converter(rich_text.from_strapi_blocks)
    _func_portable_text = _converter(rich_text.from_portable_text)
    _func_contentful_text = _converter(rich_text.from_contentful)
    _func_plain_text = _converter(rich_text.plain_text)

    @functions.signature(_ANY, _MORE)
    def _func_place(self, name: Any, country: Any, *rest: Any) -> dict[str, str] | None:
        if not _text(name):
            return None
        if not _text(country):
            raise MappingProblem("unknown_place", f"'{name}' has no country to look it up in")
        region = _text(rest[0]) if len(rest) == 1 else None
        near = _coordinates(rest) if len(rest) == 2 else None
        try:
            found = locate(str(name), str(country), region, near)
        except AmbiguousPlace as exc:
            raise MappingProblem("ambiguous_place", str(exc)) from None
        except PlaceNotFound as exc:
            raise MappingProblem("unknown_place", str(exc)) from None
        return {"placeId": found.id, "name": found.name, "countryCode": found.countryCode}

    @functions.signature(_ANY, _STRING)
    def _func_value_map(self, value: Any, name: str) -> list[str] | None:
        if value is None or value == []:
            return None  # the document names none
        chosen = self.context.value_maps.get(name)
        if chosen is None:  # a sender's default mapping names maps the owner may not have made
            self.context.note(
                self.context.target,
                "no_value_map",
                f"no value map '{name}': the document's values not used",
            )
            return None
        try:
            return values.apply(chosen, name, value, self.context)
        except values.UnmappedValue as exc:
            raise MappingProblem("unmapped_value", str(exc)) from None

    @functions.signature(_ANY)
    def _func_media_url(self, url: Any) -> str | None:
        return self._absolute(url, self.context.media_base_url)

    @functions.signature(_ANY, _ANY)
    def _func_join_url(self, base: Any, path: Any) -> str | None:
        return self._absolute(path, _text(base))

    @functions.signature(_MORE)
    def _func_images(self, found: Any, *alt: Any) -> list[dict[str, str]]:
        try:
            return media.image_items(found, alt[0] if alt else None, self.context)
        except media.MediaProblem as exc:
            raise MappingProblem("relative_url", str(exc)) from None

    @functions.signature(_MORE)
    def _func_ticket_links(self, links: Any, *label: Any) -> list[dict[str, str]]:
        try:
            return media.ticket_items(links, label[0] if label else None, self.context)
        except media.MediaProblem as exc:
            raise MappingProblem("relative_url", str(exc)) from None

    @functions.signature(_ANY)
    def _func_localized(self, localized: Any) -> Any:
        if not isinstance(localized, dict) or not localized:
            return None
        if self.context.locale and self.context.locale in localized:
            return localized[self.context.locale]
        return next(iter(localized.values()))

    @functions.signature(_MORE)
    def _func_unix_time(self, value: Any, *given_unit: Any) -> str | None:
        """Unix time (seconds, or milliseconds with unit 'ms', as HubSpot and other CRMs
        send dates) as an ISO 8601 UTC instant; a number or its digits."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        unit = given_unit[0] if given_unit else "s"
        per_second = _UNIX_UNITS.get(unit) if isinstance(unit, str) else None
        if per_second is None:
            raise MappingProblem("invalid_unix_time", f"unit '{unit}' is neither 's' nor 'ms'")
        try:
            number = float(value) if not isinstance(value, bool) else None
            moment = datetime.fromtimestamp(number / per_second, UTC) if number else None
        except (TypeError, ValueError, OverflowError, OSError):
            moment = None
        if moment is None or moment.year < 1971:
            shown = storable_text(repr(value)[:40])
            unit_name = "milliseconds" if unit == "ms" else "seconds"
            raise MappingProblem(
                "invalid_unix_time",
                f"{shown} is no Unix time in {unit_name} after 1971 (is the unit right?)",
            )
        return moment.isoformat()

    @functions.signature(_ANY)
    def _func_numbers(self, text: Any) -> list[float]:
        if isinstance(text, int | float) and not isinstance(text, bool):
            return [float(text)]
        return [_number(n) for n in _NUMBER.findall(text)] if isinstance(text, str) else []

    def _absolute(self, url: Any, base: str | None) -> str | None:
        if not _text(url):
            return None
        try:
            return media.absolute_url(str(url), base)
        except media.MediaProblem as exc:
            raise MappingProblem("relative_url", str(exc)) from None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _coordinates(pair: tuple[Any, ...]) -> tuple[float, float] | None:
    try:
        return float(pair[0]), float(pair[1])
    except (TypeError, ValueError):
        return None


_UNIX_UNITS = {"s": 1, "ms": 1000}

# Digits with thousands or decimal separators: 25, 25.00, 1,234.50, 1.234,50, 25,5.
_NUMBER = re.compile(r"\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?")


def _number(written: str) -> float:
    digits = written.replace("\u00a0", "").replace(" ", "")
    head, sep, tail = max(digits.rpartition("."), digits.rpartition(","), key=lambda p: len(p[0]))
    if sep and len(tail) != 3:  # the last separator is the decimal one: 25,50 or 1.234,5
        return float(re.sub(r"[.,]", "", head) + "." + tail)
    return float(re.sub(r"[.,]", "", digits))


def function_call_problem(expression: Expression) -> str | None:
    """Why `expression` would fail on every document: a call of a function that does not
    exist, or with a number of arguments it does not take (JMESPath finds both only when it
    runs). None when every call is one the mapping can make."""
    if expression.parsed is None:
        return None
    pending = [expression.parsed.parsed]
    while pending:
        node = pending.pop()
        pending.extend(child for child in node.get("children", ()) if isinstance(child, dict))
        if node.get("type") != "function_expression":
            continue
        name, given = node["value"], len(node.get("children", ()))
        spec = ProjectFunctions.FUNCTION_TABLE.get(name)
        if spec is None:
            return f"{name}() is no function here; see the functions in docs/webhooks.md"
        signature = spec["signature"]
        variadic = bool(signature) and signature[-1].get("variadic", False)
        if variadic and given < len(signature):
            return f"{name}() takes at least {len(signature)} argument(s), not {given}"
        if not variadic and given != len(signature):
            return f"{name}() takes {len(signature)} argument(s), not {given}"
    return None
