"""Field-level errors: what is wrong with which field of a request, as the API reports it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

# pydantic's wording for a lone surrogate ("unable to parse raw data as a unicode string")
# does not say what to fix; the storability rules use this code for the same fault.
INVALID_UNICODE = "invalid_unicode"
INVALID_UNICODE_MESSAGE = (
    "contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not "
    "text; send valid Unicode"
)
_RENAMED = {"string_unicode": (INVALID_UNICODE, INVALID_UNICODE_MESSAGE)}


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
        path = ".".join(str(part) for part in err["loc"]) or "body"
        errors.append(FieldError(path, code, message))
    return errors


def invalid_fields_message(errors: list[FieldError]) -> str:
    """The one-line summary of a 422 `validation_failed`: which fields to fix."""
    paths = ", ".join(dict.fromkeys(e.path for e in errors))
    return f"The request body is invalid; fix these fields: {paths}."
