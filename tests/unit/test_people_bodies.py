"""People's display names are shown to other people as typed: control and text-direction
characters that would make one name look like another are refused, emoji and accents kept."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.discovery.web.bodies import ProfileChange, SignUp


@pytest.mark.parametrize(
    "name", ["Zoë Ångström", "王小明", "👨\u200d👩\u200d👧 family", "  Ada  ", "O'Brien-Łukasz"]
)
def test_names_as_people_write_them_are_kept(name: str) -> None:
    assert ProfileChange.model_validate({"displayName": name}).displayName == name.strip()


@pytest.mark.parametrize(
    ("name", "code_point"),
    [("\u202eboB", "U+202E"), ("Bob\u2066evil\u2069", "U+2066"), ("Ad\x00a", "U+0000"),
     ("line\nbreak", "U+000A"), ("\u200fAda", "U+200F")],
)  # fmt: skip
def test_control_and_direction_characters_are_refused(name: str, code_point: str) -> None:
    for model, body in (
        (ProfileChange, {"displayName": name}),
        (
            SignUp,
            {"email": "a@example.org", "password": "a long enough password", "displayName": name},
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            model.model_validate(body)
        (error,) = refused.value.errors()
        assert (error["loc"], error["type"]) == (("displayName",), "invalid_characters")
        assert code_point in error["msg"]
