"""A document's city by name: names in any Latin-script language, countries by code or
name, namesakes told apart by region or coordinates, and never a guess between close ones."""

from __future__ import annotations

import pytest

from shared.domain import place_names, places
from shared.domain.place_names import AmbiguousPlace, PlaceNotFound, locate


@pytest.mark.parametrize(
    ("name", "country", "region", "near", "place_id"),
    [
        ("Vienna", "AT", None, None, "place-vienna"),
        ("Wien", "AT", None, None, "place-vienna"),  # the German name
        ("WIEN", "Austria", None, None, "place-vienna"),  # case; country by name
        ("München", "de", None, None, "place-munich"),
        ("Frankfurt", "DE", None, None, "place-frankfurt-am-main"),  # 10x Frankfurt (Oder)
        ("New York", "US", None, None, "place-new-york"),
        ("Portland", "US", "OR", None, "place-portland"),
        ("Portland", "US", "Maine", None, "place-portland-us"),
        ("Portland", "US", "US-ME", None, "place-portland-us"),
        ("Portland", "US", None, (43.66, -70.26), "place-portland-us"),
        ("Vienna", "US", None, None, "place-vienna-us"),  # Vienna, Virginia
        ("Wien", "AT", "Wien", None, "place-vienna"),  # a region in a form we do not know
    ],
)
def test_names_resolve_to_catalogue_places(
    name: str,
    country: str,
    region: str | None,
    near: tuple[float, float] | None,
    place_id: str,
) -> None:
    assert locate(name, country, region, near).id == place_id


def test_close_namesakes_are_ambiguous_not_guessed() -> None:
    with pytest.raises(AmbiguousPlace) as refused:
        locate("Portland", "US")
    assert [p.id for p in refused.value.candidates][:2] == ["place-portland", "place-portland-us"]
    assert "region" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "country", "region", "problem"),
    [
        ("Atlantis", "GR", None, "no city named 'Atlantis' in GR"),
        ("Vienna", "Narnia", None, "not a country code"),
        ("Portland", "US", "CA", "no city named 'Portland' in region 'CA'"),
    ],
)
def test_unknown_names_are_refused_with_what_to_do(
    name: str, country: str, region: str | None, problem: str
) -> None:
    with pytest.raises(PlaceNotFound, match=problem):
        locate(name, country, region)


def test_search_finds_a_city_by_the_name_locate_accepts_then_by_prefix() -> None:
    places, total = place_names.search("Wien", "AT", limit=5, offset=0)
    assert [p.id for p in places] == ["place-vienna", "place-wiener-neustadt"]
    assert total == 2
    anywhere, _ = place_names.search("münchen", None, limit=1, offset=0)
    assert anywhere[0].id == "place-munich"
    second_page, total = place_names.search("Wien", "AT", limit=5, offset=1)
    assert ([p.id for p in second_page], total) == (["place-wiener-neustadt"], 2)


def test_search_without_another_name_is_the_prefix_search() -> None:
    assert place_names.search("new yo", None, 20, 0) == places.search("new yo", None, 20, 0)


@pytest.mark.parametrize("query", ["東京", "القاهرة", "!!!", "\u0000"])
def test_a_query_with_nothing_indexed_finds_no_place_not_every_place(query: str) -> None:
    assert place_names.search(query, None, 20, 0) == ([], 0)  # what GET /places calls
    assert places.search("", None, 1, 0)[1] > 30_000  # no query at all still lists the catalogue
