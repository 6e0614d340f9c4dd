"""Request bodies of the people API, validated once at the edge.

Every model refuses unknown fields: a body that tries to set an id, an owner, a lock or
another person's anything is a 422 naming the field, never silently applied (mass
assignment).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError
from starlette.requests import Request

from services.discovery.web.errors import (
    InvalidBody,
    MalformedJson,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.core.json_body import UndecodableJson, decode_json
from shared.domain.attendance import Answer
from shared.domain.field_errors import FieldError
from shared.domain.passwords import Email, GivenPassword, NewPassword
from shared.domain.reminders import ReminderMinutes
from shared.domain.storable import storable_validation

MAX_BODY_BYTES = 16_384

# Shown to other people (friend requests, who is going): no control characters, and no bidi
# controls (U+202E would show "\u202eboB" as "Bob"; Trojan Source, CVE-2021-42574).
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown_as_typed(name: str) -> str:
    found = _HIDDEN.search(name)
    if found is not None:
        raise PydanticCustomError(
            "invalid_characters",
            f"contains U+{ord(found.group()):04X}, a control or text-direction character that "
            "would change how the name shows to others; type the name without it",
        )
    return name


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_shown_as_typed),
]


class _Body(BaseModel):
    # Strict: "yes" where a boolean belongs or "60" where minutes do is named, not guessed at.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SignUp(_Body):
    email: Email
    password: NewPassword
    displayName: DisplayName


class SignIn(_Body):
    email: Email
    password: GivenPassword


class ProfileChange(_Body):
    displayName: DisplayName | None = None
    sharePlans: bool | None = Field(
        default=None, description="friends see the events you go to or are interested in"
    )


class AccountDeletion(_Body):
    password: GivenPassword


class Rsvp(_Body):
    status: Answer


class ReminderDefaults(_Body):
    minutesBefore: ReminderMinutes


class EventReminders(_Body):
    minutesBefore: ReminderMinutes


class ReadState(_Body):
    read: bool


class FriendRequest(_Body):
    email: Email


FollowKind = Literal["channel", "city", "classification"]

B = TypeVar("B", bound=BaseModel)


async def read_body(request: Request, model: type[B]) -> B:
    """The JSON body as `model`; 415 for another media type, 422 naming each bad field."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(MAX_BODY_BYTES)
    try:
        payload = decode_json(raw or b"null")  # bounded depth: a nested body is no 500
    except UndecodableJson as exc:
        raise MalformedJson(f"The body is not JSON this API accepts: {exc}.") from None
    return validate(model, payload)


def validate(model: type[B], payload: object) -> B:
    """`payload` as `model`, or InvalidBody naming every field to fix, what PostgreSQL could
    not store (a NUL, a lone surrogate) included, as the public API names them."""
    with storable_validation(payload, _invalid_body):
        return model.model_validate(payload)


def _invalid_body(errors: list[FieldError]) -> InvalidBody:
    return InvalidBody([_field(e.path, e.code, e.message) for e in errors])


def _field(path: str, code: str, message: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message}
