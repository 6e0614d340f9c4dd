"""Public reference data: classification slugs and the searchable place catalogue."""

from __future__ import annotations

import httpx

from shared.domain.classifications import CLASSIFICATIONS


async def test_classifications_are_published(api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/public/v1/classifications")).json()
    assert {c["slug"] for c in body["docs"]} == set(CLASSIFICATIONS)


async def test_places_are_searchable_most_populous_first(api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/public/v1/places", params={"q": "new york"})).json()
    first = body["docs"][0]
    assert (first["id"], first["countryCode"], first["timezone"]) == (
        "place-new-york", "US", "America/New_York"
    )  # fmt: skip
    assert "place-new-york-city" in first["aliases"]
    local = await api.get("/api/public/v1/places", params={"q": "Wien", "countryCode": "AT"})
    assert local.json()["docs"][0]["id"] == "place-vienna"  # the name a mapping's place() takes
    french = await api.get("/api/public/v1/places", params={"q": "paris", "countryCode": "FR"})
    assert french.json()["docs"][0]["id"] == "place-paris"
    lower = await api.get("/api/public/v1/places", params={"q": "paris", "countryCode": "fr"})
    assert lower.json()["docs"] == french.json()["docs"]  # a filter: its case does not matter
    page = (await api.get("/api/public/v1/places", params={"q": "san", "limit": 5})).json()
    assert len(page["docs"]) == 5
    assert page["hasNextPage"]


async def test_bad_country_code_is_400(api: httpx.AsyncClient) -> None:
    for code in ("usa", "\u00c4\u00d6", "U1"):
        response = await api.get("/api/public/v1/places", params={"countryCode": code})
        assert response.status_code == 400, code
        assert response.json()["error"]["fields"][0]["path"] == "countryCode"


async def test_reference_data_counts_in_the_callers_address_quota(api: httpx.AsyncClient) -> None:
    """Open, but not unmetered: a flood of place searches from one address meets its quota."""
    for path in ("/api/public/v1/places?q=sa", "/api/public/v1/classifications"):
        answer = await api.get(path)
        assert answer.status_code == 200
        assert answer.headers["ratelimit-policy"].startswith('"ip";'), path
    nothing = await api.get("/api/public/v1/places", params={"q": "東京"})
    assert nothing.json()["totalDocs"] == 0  # a query with nothing we index finds nothing
