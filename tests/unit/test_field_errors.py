"""Field errors in the API's words: a validator's own message, not pydantic's wrapping."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.management.keys import KeyCreate
from shared.domain.field_errors import field_errors


def test_a_validators_own_message_comes_without_pydantics_prefix() -> None:
    with pytest.raises(ValidationError) as refused:
        KeyCreate.model_validate({"name": "x", "expiresAt": "2001-01-01T00:00:00Z"})
    (error,) = field_errors(refused.value)
    assert (error.path, error.code) == ("expiresAt", "value_error")
    assert error.message == "must be in the future"  # was "Value error, must be in the future"
