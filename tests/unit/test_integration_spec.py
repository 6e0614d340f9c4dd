"""An integration is refused when it is made if every delivery would trip over it: a default
city the catalogue places elsewhere, a Standard Webhooks secret the sender could not use."""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.integrations import InvalidIntegration, validate_spec


def spec(**changes: Any) -> dict[str, Any]:
    return {"name": "site", "source": "generic", "channelId": 7, **changes}


def problems(payload: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidIntegration) as refused:
        validate_spec(payload)
    return [(e.path, e.code) for e in refused.value.problems]


def test_a_default_city_must_be_where_the_catalogue_puts_it() -> None:
    vienna_in_us = {"placeId": "place-vienna", "name": "Paris", "countryCode": "US"}
    assert problems(spec(defaults={"city": vienna_in_us})) == [
        ("defaults.city.countryCode", "country_mismatch")
    ]
    nowhere = {"placeId": "place-nowhere-zz", "name": "Nowhere", "countryCode": "GR"}
    assert problems(spec(defaults={"city": nowhere})) == [
        ("defaults.city.placeId", "unknown_place")
    ]
    vienna = {"placeId": "place-vienna", "name": "Wien", "countryCode": "AT"}
    assert validate_spec(spec(defaults={"city": vienna})).defaults.city is not None


@pytest.mark.parametrize("secret", ["plainsecretwithoutprefix123456", "whsec_not*base64*at*all!!"])
def test_a_standard_webhooks_secret_is_whsec_and_base64(secret: str) -> None:
    assert problems(spec(source="standard", secret=secret)) == [("secret", "invalid_secret")]


def test_a_standard_webhooks_secret_as_the_sender_shows_it_is_taken() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert validate_spec(spec(source="standard", secret=secret)).secret == secret
