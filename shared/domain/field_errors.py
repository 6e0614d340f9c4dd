"""Field-level errors: what is wrong with which field of a request, as the API reports it."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from pydantic import ValidationError

# pydantic's wording for a lone surrogate ("unable to parse raw data as a unicode string")
# does not say what to fix; the storability rules use this code for the same fault.
INVALID_UNICODE = "invalid_unicode"
INVALID_UNICODE_MESSAGE = (
    "contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not "
    "text; send valid Unicode"
)
_RENAMED = {
    "string_unicode": (INVALID_UNICODE, INVALID_UNICODE_MESSAGE),
    # pydantic's "Extra inputs are not permitted" does not say what to do either.
    "extra_forbidden": (
        "extra_forbidden",
        "is not a field here: check its spelling and case against the API reference (names "
        "are camelCase) or leave it out",
    ),
}
# What PostgreSQL cannot store in text: a NUL, a lone surrogate.
UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


# A pattern's meaning, as a sender reads it: pydantic's "String should match pattern '^[^@\s]+@...'"
# tells nobody what to send. Each pattern is described where it is declared (`described`).
_PATTERN_MEANINGS: dict[str, str] = {}


def described(pattern: str, meaning: str) -> str:
    """`pattern`, with what a value matching it is ("an e-mail address, such as ..."), for
    the message of a value that does not match."""
    _PATTERN_MEANINGS[pattern] = meaning
    return pattern


def storable_text(text: str) -> str:
    """`text` with what PostgreSQL cannot store spelled as escapes (for messages, ids and
    field paths that are recorded whatever they hold, e.g. a refused delivery's document id
    or a key `"a\\u0000b"` named in an error)."""
    if UNSTORABLE_CHARACTER.search(text) is None:
        return text
    return UNSTORABLE_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field of a request, as the API reports it.

    `path` is dotted (`images.0.alt`, `events.3.startAt`), `code` stable and
    machine-readable, `message` what a person can do about it.
    """

    path: str
    code: str
    message: str


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's errors as FieldErrors, with dotted paths ("body" for the whole body)."""
    errors = []
    for err in exc.errors(include_url=False):
        code, message = _RENAMED.get(err["type"], (err["type"], err["msg"]))
        if code in _JSON_TYPES:
            message = f"must be {_JSON_TYPES[code]}, not {_json_kind(err['input'])}"
        elif code in _OBJECT_TYPES:  # pydantic's text names our model class
            message = f"must be a JSON object, not {_json_kind(err['input'])}"
        elif code == "string_pattern_mismatch" and err["ctx"]["pattern"] in _PATTERN_MEANINGS:
            message = f"must be {_PATTERN_MEANINGS[err['ctx']['pattern']]}"
        elif code == "string_too_short" and isinstance(err["input"], str) and _blank(err["input"]):
            # Surrounding spaces are stripped first: "   " was sent, nothing is left of it.
            message = "is blank: only spaces or line breaks were sent; send text"
        elif code == "value_error":  # a validator's own ValueError: its text, not pydantic's
            message = message.removeprefix("Value error, ")
        elif code in _DATE_TIMES:
            why = err["msg"].partition(", ")[2]  # pydantic's reason, after its generic text
            message = _DATE_TIMES[code] + (f" ({why})" if why else "")
        # Spelled as the storability rules spell it, so one key is one path in the answer.
        path = storable_text(".".join(str(part) for part in err["loc"])) or "body"
        errors.append(FieldError(path, code, message))
    return errors


# The schema's number types, as a sender reads them: strict fields refuse "42", true and 5.0
# where an integer belongs, and the message says what was sent instead.
_JSON_TYPES = {
    "bool_type": "a JSON boolean, true or false",
    "int_type": "a JSON integer, such as 42",
    "float_type": "a JSON number, such as 12.5",
}


_OBJECT_TYPES = ("model_type", "dict_type", "model_attributes_type")
_EXAMPLE_TIME = "e.g. 2027-05-01T19:00:00-04:00"
_DATE_TIMES = {
    "datetime_from_date_parsing": f"must be an ISO 8601 date-time with an offset, {_EXAMPLE_TIME}",
    "datetime_parsing": f"must be an ISO 8601 date-time with an offset, {_EXAMPLE_TIME}",
    "timezone_aware": f"must include its UTC offset (Z or +hh:mm), {_EXAMPLE_TIME}",
}


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        quoted = f"the string {storable_text(json.dumps(shown, ensure_ascii=False))}"  # storable
        return f"{quoted} (send the number without quotes)" if _numeral(value) else quoted
    if isinstance(value, float):
        return f"the fraction {value!r}"
    if value is None:
        return "null"
    if isinstance(value, int):
        return f"the number {value}"
    return f"a JSON {'array' if isinstance(value, list) else 'object'}"


def _blank(text: str) -> bool:
    """Sent, but only whitespace: what stripping leaves too short."""
    return bool(text) and not text.strip()


def _numeral(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def invalid_fields_message(errors: list[FieldError]) -> str:
    """The one-line summary of a 422 `validation_failed`: which fields to fix."""
    paths = ", ".join(dict.fromkeys(e.path for e in errors))
    return f"The request body is invalid; fix these fields: {paths}."
