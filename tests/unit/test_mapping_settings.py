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
