"""The portal's forms, validated once as they arrive: each field's problem is shown beside
the form again, with what was typed (never a password)."""

from __future__ import annotations

from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.gateway.portal.visits import Visit
from shared.domain.events import field_errors
from shared.domain.passwords import Email, GivenPassword, NewPassword


class _Form(BaseModel):
    # No stripping: a password is what was typed (e-mail addresses strip themselves).
    model_config = ConfigDict(extra="ignore", frozen=True)


F = TypeVar("F", bound=_Form)


class SignInForm(_Form):
    email: Email
    password: GivenPassword


class PasswordForm(_Form):
    password: NewPassword
    confirmation: str

    def matching(self) -> Self:
        if self.password != self.confirmation:
            raise FormInvalid("The two passwords differ.", [])
        return self


class InvitationForm(PasswordForm):
    displayName: str = Field(min_length=1, max_length=80)


class SetupForm(_Form):
    name: str = Field(min_length=1, max_length=120)
    channelName: str | None = Field(default=None, max_length=120)


class FormInvalid(Exception):
    """Shown above the form: `message`, and per field `{"path", "message"}`."""

    def __init__(self, message: str, fields: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


def parsed(model: type[F], visit: Visit) -> F:
    """The form as `model`, or FormInvalid naming each field to fix."""
    values = {k: v for k, v in (visit.form or {}).items() if isinstance(v, str)}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [{"path": f.path, "message": f.message} for f in field_errors(exc)]
        raise FormInvalid("Check these fields.", problems) from None
