"""What PostgreSQL can store, checked at the edge so that nothing answered 2xx is refused later.

- Text: `text` and `jsonb` refuse U+0000 (NUL), and UTF-8 cannot encode a lone UTF-16
  surrogate (U+D800-U+DFFF), which JSON's `\\u` escapes can spell. Both are refused in
  every string of a body, object keys included.
- Numbers: `jsonb` numbers are finite (Python's JSON decoder reads `NaN` and `Infinity`).
- Times: the supported range is 1900-01-01T00:00:00 to 2200-12-31T23:59:59, both as written
  (local wall time) and as the UTC instant, so every conversion the services make (to UTC,
  to the event's zone, to a reader's zone) stays far inside what Python and PostgreSQL hold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from shared.domain.field_errors import (
    INVALID_UNICODE,
    INVALID_UNICODE_MESSAGE,
    UNSTORABLE_CHARACTER,
    FieldError,
    field_errors,
    storable_text,
)

__all__ = ["storable_text"]  # here too: this module holds the rest of the storability rules

EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 12, 31, 23, 59, 59, 999_999)
SUPPORTED_RANGE = "from 1900-01-01T00:00:00 to 2200-12-31T23:59:59, as written and in UTC"

NUL_CHARACTER = "nul_character"
NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored; remove it"
NON_FINITE_NUMBER = "non_finite_number"
DATE_OUT_OF_RANGE = "date_out_of_range"


def text_problem(text: str) -> tuple[str, str] | None:
    """(code, message) when PostgreSQL cannot store `text`, else None."""
    found = UNSTORABLE_CHARACTER.search(text)
    if found is None:
        return None
    if "\x00" in text:
        return NUL_CHARACTER, NUL_MESSAGE
    return INVALID_UNICODE, INVALID_UNICODE_MESSAGE


def unstorable_values(payload: object) -> list[FieldError]:
    """Every string (value or object key) and number in a decoded JSON value that PostgreSQL
    cannot store, with its dotted path, in document order. Iterative: depth costs no stack."""
    if _clean(payload):
        return []
    return _walk(payload)


def _clean(payload: object) -> bool:
    """Whether `payload` surely holds nothing unstorable: the C encoder and substring checks,
    several times cheaper than walking it in Python (most bodies are clean). In the JSON
    text a NUL is escaped, a lone surrogate stays as it is (ensure_ascii=False) and a
    non-finite number is spelled out; text that merely spells these sends it to the walk."""
    try:
        text = json.dumps(payload, ensure_ascii=False)
        text.encode("utf-8")  # fails on a lone surrogate
    except (TypeError, ValueError, RecursionError):  # also: not plain JSON data, very deep
        return False
    return "\\u0000" not in text and "NaN" not in text and "Infinity" not in text


# For `surely_storable_json`: a NUL or a surrogate spelled as a JSON escape, and the text's
# digits as 0 and exponents as e, so a long digit run or a three-digit exponent is one search.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")  # U+D800-U+DFFF's UTF-8 lead bytes
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_DIGIT_RUN = b"0" * 200


def surely_storable_json(raw: bytes) -> bool:
    """Whether the JSON text `raw` surely decodes to nothing unstorable, from a scan of its
    bytes (about 3 µs per KiB), so a caller holding the text can skip `unstorable_values`'s
    pass over every decoded value (a JSON encoding each: 10 µs per batch item).

    Sound for text `json.loads` accepts (raw control characters in strings refused): a NUL
    can then only be spelled as a `\\u0000` escape, a lone surrogate as a `\\u` escape or as
    its own three bytes (which `json.loads` lets through from bytes, `surrogatepass`), and a
    non-finite number only as `NaN`, `Infinity` or a literal past a double's range (above
    1.8e308), which needs a positive exponent of three digits or 200 digits or more before
    it. False means "look closer", not "unstorable": an escaped emoji (a surrogate pair), a
    string that spells NaN or a 200-digit integer answer False too, as does any NUL byte
    (`json.loads` also reads UTF-16 and UTF-32, whose escapes this scan would not see).
    """
    if b"\x00" in raw or (b"\\u" in raw and _UNSTORABLE_ESCAPE.search(raw)):
        return False
    if b"\xed" in raw and _ENCODED_SURROGATE.search(raw):  # \xed also leads Hangul
        return False
    shape = raw.translate(_DIGITS_AS_ZERO)
    return not (
        b"NaN" in shape
        or b"Infinity" in shape
        or _LONG_DIGIT_RUN in shape
        or b"e000" in shape
        or b"e+000" in shape
    )


def _walk(payload: object) -> list[FieldError]:
    errors: list[FieldError] = []
    # (path, value, the object key that ends the path, if any: checked too)
    pending: list[tuple[str, object, object]] = [("", payload, None)]
    while pending:
        path, value, key = pending.pop()
        if isinstance(key, str):
            _note_text(errors, path, key)
        if isinstance(value, str):
            _note_text(errors, path, value)
        elif isinstance(value, float) and not math.isfinite(value):
            errors.append(FieldError(path or "body", NON_FINITE_NUMBER, "must be a finite number"))
        elif isinstance(value, dict):
            children = [(_join(path, str(k)), v, k) for k, v in value.items()]
            pending.extend(reversed(children))
        elif isinstance(value, list | tuple):
            items = [(_join(path, str(i)), v, None) for i, v in enumerate(value)]
            pending.extend(reversed(items))
    return errors


def _note_text(errors: list[FieldError], path: str, text: str) -> None:
    problem = text_problem(text)
    if problem is not None:
        errors.append(FieldError(storable_text(path) or "body", *problem))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def merge_errors(schema_errors: list[FieldError], unstorable: list[FieldError]) -> list[FieldError]:
    """Both lists, each (path, code) once: the schema's errors first, less those that name
    an object for a fault the storability rules name inside it (pydantic reports a lone
    surrogate in a key at the key's object)."""

    def named_inside(error: FieldError) -> bool:
        prefix = "" if error.path == "body" else f"{error.path}."
        return any(e.code == error.code and e.path.startswith(prefix) for e in unstorable)

    kept = [e for e in schema_errors if e.code != INVALID_UNICODE or not named_inside(e)]
    return list(dict.fromkeys([*kept, *unstorable]))


@contextmanager
def storable_validation(
    payload: object,
    invalid: Callable[[list[FieldError]], Exception],
    *,
    known_storable: bool = False,
) -> Iterator[None]:
    """Around a model's validation of `payload`: raises `invalid(errors)` naming every schema
    error and every value the store would refuse, at once. A context rather than a wrapper,
    so the model's own validators are not called back through this module.
    `known_storable`: the caller has shown it already (`surely_storable_json` of its text)."""
    unstorable = [] if known_storable else unstorable_values(payload)
    try:
        yield
    except ValidationError as exc:
        raise invalid(merge_errors(field_errors(exc), unstorable)) from None
    if unstorable:
        raise invalid(unstorable)


def supported_moment_problem(moment: datetime) -> str | None:
    """Why an aware `moment` is outside the supported range, or None when it is inside."""
    if 1900 < moment.year < 2200:
        # Surely inside, as written and in UTC (an offset is less than a day): the answer for
        # nearly every event, from one comparison instead of the datetime arithmetic below
        # (3 us, run for every date-time of every event the publisher decodes).
        return None
    wall = moment.replace(tzinfo=None)
    if not EARLIEST <= wall <= LATEST:
        return f"must be {SUPPORTED_RANGE}"
    # Inside the range the wall time is ~100 years from Python's limits: no overflow here.
    instant = wall - (moment.utcoffset() or timedelta(0))
    if not EARLIEST <= instant <= LATEST:
        return f"must be {SUPPORTED_RANGE} (its UTC instant is {instant.isoformat()})"
    return None


def _supported(moment: datetime) -> datetime:
    problem = supported_moment_problem(moment)
    if problem is not None:
        raise PydanticCustomError(DATE_OUT_OF_RANGE, problem)
    return moment


def _not_a_number(value: object) -> object:
    # Lax validation reads a number as Unix seconds; senders mean milliseconds as often, and
    # the schema says a string: name the mistake instead of guessing.
    if isinstance(value, int | float):
        raise PydanticCustomError(
            "datetime_type",
            "must be an ISO 8601 date-time string with an offset, e.g. 2027-05-01T19:00:00-04:00, "
            "not a number",
        )
    return value


EventTime = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_supported),
    Field(description=f"ISO 8601 date-time with an offset, {SUPPORTED_RANGE}"),
]
