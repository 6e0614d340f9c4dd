"""Field errors in the API's words: a validator's own message, not pydantic's wrapping."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from services.discovery.web.bodies import ProfileChange, SignIn
from services.gateway.management.keys import KeyCreate
from shared.domain.channels import ChannelPublication
from shared.domain.events import City
from shared.domain.field_errors import field_errors


def test_a_validators_own_message_comes_without_pydantics_prefix() -> None:
    with pytest.raises(ValidationError) as refused:
        KeyCreate.model_validate({"name": "x", "expiresAt": "2001-01-01T00:00:00Z"})
    (error,) = field_errors(refused.value)
    assert (error.path, error.code) == ("expiresAt", "value_error")
    assert error.message == "must be in the future"  # was "Value error, must be in the future"


def _refusal(model: type[BaseModel], body: dict[str, object]) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    (error,) = field_errors(refused.value)
    return error.path, error.code, error.message


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (SignIn, {"email": "ada-at-example.org", "password": "x"},
         ("email", "string_pattern_mismatch",
          "must be an e-mail address, such as ada@example.org")),
        (ChannelPublication, {"visibility": "public", "slug": "zürich"},
         ("slug", "string_pattern_mismatch", "must be lowercase letters a-z and digits, words "
          "joined by single hyphens, such as brooklyn-jazz")),
        (City, {"placeId": "place-wien", "name": "Wien", "countryCode": "at"},
         ("countryCode", "string_pattern_mismatch",
          "must be an ISO 3166-1 alpha-2 code in capitals, such as US")),
        (ProfileChange, {"sharePlans": "yes"},
         ("sharePlans", "bool_type",
          'must be a JSON boolean, true or false, not the string "yes"')),
    ],
)  # fmt: skip
def test_a_pattern_or_a_boolean_is_explained_not_quoted(
    model: type[BaseModel], body: dict[str, object], expected: tuple[str, str, str]
) -> None:
    # pydantic's "String should match pattern '^[^@\\s]+@...'" told nobody what to send.
    assert _refusal(model, body) == expected
