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


def test_one_answer_names_the_schema_errors_and_the_catalogues_at_once() -> None:
    # A bad channel id used to hide the unknown zone, class and mapping field until fixed.
    payload = spec(
        channelId="seven",
        defaults={"timezone": "Europe/Vienne", "classifications": ["jazz"]},
        mapping={"title": "entry.name", "startAt": "unknown_function(entry.start)"},
        source="standard",
        secret="plainsecretwithoutprefix123456",
    )
    assert problems(payload) == [
        ("channelId", "int_type"),
        ("secret", "invalid_secret"),
        ("defaults.timezone", "unknown_timezone"),
        ("defaults.classifications", "unknown_classification"),
        ("mapping.startAt", "invalid_expression"),  # no such function
    ]


def test_a_part_that_breaks_the_schema_is_named_once() -> None:
    payload = spec(channelId="seven", defaults={"timezone": 5}, mapping={"nope": "x"})
    assert problems(payload) == [
        ("channelId", "int_type"),
        ("mapping", "value_error"),
        ("defaults.timezone", "string_type"),
    ]
