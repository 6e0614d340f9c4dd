"""An integration's mapping configuration is checked when it is made: expressions compile,
named value maps exist, the media base URL is https, identity expressions compile."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.domain.mapping.settings import MappingSettings, mapping_problems

SETTINGS = MappingSettings.model_validate(
    {
        "valueMaps": {"categories": {"values": {"food-and-drink": "food-drink"}}},
        "mediaBaseUrl": "https://cms.example.org",
        "locale": "de-DE",
        "identity": {"documentId": "data.event.uuid", "action": "type"},
    }
)


def test_good_mappings_have_no_problems() -> None:
    mapping = {
        "title": "entry.title",
        "classifications": "value_map(entry.category, 'categories')",
        "images": "images(entry.cover)",
    }
    assert mapping_problems(mapping, SETTINGS) == []
    context = SETTINGS.context()
    assert (context.media_base_url, context.locale) == ("https://cms.example.org", "de-DE")


def test_each_problem_names_its_field() -> None:
    mapping = {
        "title": "entry.title(",
        "classifications": "value_map(entry.category, 'kinds')",
    }
    assert [(p.path, p.code) for p in mapping_problems(mapping, SETTINGS)] == [
        ("mapping.title", "invalid_expression"),
        ("mapping.classifications", "unknown_value_map"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date_of(entry.start)", "date_of() is no function here"),
        ("upper(entry.title)", "upper() is no function here"),  # JMESPath has none either
        ("plain_text(entry.title, 'en')", "plain_text() takes 1 argument(s), not 2"),
        ("join('T', [entry.day])", ""),  # a JMESPath built-in, as the docs use it
        ("place(entry.city)", "place() takes at least 2 argument(s), not 1"),
        ("max(numbers(entry.price)) || lenght(entry.prices)", "lenght() is no function here"),
    ],
)
def test_a_call_that_would_fail_every_delivery_is_refused_when_written(
    text: str, message: str
) -> None:
    # JMESPath finds an unknown function or a wrong arity only when it runs: every delivery
    # would then be refused, so the mapping is refused where it is written.
    problems = mapping_problems({"title": text}, SETTINGS)
    if not message:
        assert problems == []
        return
    ((path, code, said),) = [(p.path, p.code, p.message) for p in problems]
    assert (path, code) == ("mapping.title", "invalid_expression")
    assert said.startswith(message)


@pytest.mark.parametrize(
    "settings",
    [
        {"mediaBaseUrl": "http://cms.example.org"},
        {"identity": {"documentId": "data.("}},
        {"valueMaps": {"bad name": {"values": {}}}},
        {"valueMaps": {"m": {"values": {}, "unmapped": "guess"}}},
    ],
)
def test_unusable_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MappingSettings.model_validate(settings)
