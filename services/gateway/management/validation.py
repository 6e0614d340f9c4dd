"""Validating what an owner asked for, the same way whichever entry point read it."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from services.gateway.errors import InvalidInput
from shared.domain.events import field_errors

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], payload: object) -> M:
    """`payload` as `model`, or InvalidInput naming each field to fix."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
