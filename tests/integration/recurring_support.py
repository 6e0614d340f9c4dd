"""Helpers for tests of recurring events: a weekly workshop in Berlin a year ahead (so its
series crosses both of the year's daylight-saving changes), searching every page of it, and
reading a feed back with recurring-ical-events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import recurring_ical_events

from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import VISIBLE_WITHIN_SECONDS, create_event

BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_CITY = {"city": {"placeId": "place-berlin", "name": "Berlin", "countryCode": "DE"}}
SEARCH = "/api/discovery/v1/events"


@dataclass(frozen=True)
class Workshop:
    event_id: str
    marker: str  # a word only this test's titles carry
    year: int
    start: datetime  # the first occurrence

    @property
    def dates(self) -> int:
        """How many Tuesdays it has, early March to 20 November (38 in 2027)."""
        return len(tuesdays(self.start.date(), date(self.year, 11, 20)))


def first_weekday(year: int, month: int, weekday: int) -> date:
    """The first `weekday` (Monday 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def last_sunday(year: int, month: int) -> date:
    """The day Europe's clocks change in March and October."""
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


async def weekly_workshop(
    api: httpx.AsyncClient, tenant: Tenant, exdates: list[str] | None = None, **fields: Any
) -> Workshop:
    """Tuesdays at 19:00 in Berlin from early March to 20 November next year."""
    year = datetime.now(UTC).year + 1
    start = datetime.combine(first_weekday(year, 3, 1), time(19), BERLIN)
    marker = f"w{uuid.uuid4().hex[:8]}"
    event_id = await create_event(
        api,
        tenant,
        title=f"Pottery workshop {marker}",
        startAt=start.isoformat(),
        endAt=(start + timedelta(hours=2)).isoformat(),
        timezone="Europe/Berlin",
        approxLocation=BERLIN_CITY,
        recurrence={"rrule": f"FREQ=WEEKLY;BYDAY=TU;UNTIL={year}1120", "exdates": exdates or []},
        **fields,
    )
    return Workshop(event_id, marker, year, start)


async def listed_workshop(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> tuple[Workshop, list[dict[str, Any]]]:
    """A weekly workshop of the tenant's (public) channel and its occurrences, once search
    lists them all."""
    workshop = await weekly_workshop(api, tenant)
    docs = await occurrences_found(discovery, workshop.marker, workshop.year, workshop.dates)
    return workshop, docs


async def search_all(discovery: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    """Every page of a search."""
    docs: list[dict[str, Any]] = []
    query = {"limit": "100", **params}
    while True:
        response = await discovery.get(SEARCH, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        docs += body["docs"]
        if not body["nextCursor"]:
            return docs
        query["cursor"] = body["nextCursor"]


async def occurrences_found(
    discovery: httpx.AsyncClient, marker: str, year: int, count: int, **params: str
) -> list[dict[str, Any]]:
    """The occurrences titled with `marker` within `year` in search, once there are `count`
    of them."""

    async def probe() -> list[dict[str, Any]] | None:
        dates = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
        docs = await search_all(discovery, q=marker, **{**dates, **params})
        return docs if len(docs) == count else None

    found: list[dict[str, Any]] = await eventually(probe, within=VISIBLE_WITHIN_SECONDS)
    return found


def read_back(calendar_text: str, year: int) -> list[icalendar.Event]:
    """Every instance recurring-ical-events finds in the feed within `year`."""
    calendar = icalendar.Calendar.from_ical(calendar_text)
    instances = recurring_ical_events.of(calendar).between(date(year, 1, 1), date(year + 1, 1, 1))
    return sorted(instances, key=lambda c: c["DTSTART"].dt)


def tuesdays(start: date, through: date) -> list[date]:
    return [start + timedelta(weeks=n) for n in range((through - start).days // 7 + 1)]
