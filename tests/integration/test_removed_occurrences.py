"""An occurrence an EXDATE takes out of its series stays in the plans of the people who
planned it, cancelled at the times they planned: in their RSVPs and saves, on their account
page and in their calendar (STATUS:CANCELLED, no alarm, its own UID), while the series'
other occurrences stay as they were."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from icalendar import Calendar

from tests.integration.conftest import Tenant
from tests.integration.discovery_support import EVENTS, publish_channel
from tests.integration.people_support import PEOPLE, PersonClient, notices_of_kind, rsvp, sign_up
from tests.integration.recurring_support import listed_workshop, occurrences_found


async def test_an_occurrence_taken_out_of_its_series_stays_in_plans_marked_cancelled(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    workshop, docs = await listed_workshop(api, discovery, tenant)
    gone, kept = docs[1], docs[2]
    ada = await sign_up(discovery, "Ada")
    for doc in (gone, kept):
        assert (await rsvp(discovery, ada, doc["id"], "going")).status_code == 200
    saved = await discovery.put(f"{PEOPLE}/me/saves/{gone['id']}", headers=ada.headers)
    assert saved.status_code == 200, saved.text
    before = await calendar_of(discovery, ada)

    day = gone["id"].rsplit("_", 1)[1]
    rule = docs[0]["recurrence"]["rrule"]
    removed = await api.patch(
        f"{EVENTS}/{workshop.event_id}",
        json={"recurrence": {"rrule": rule, "exdates": [day]}},
        headers=tenant.headers,
    )
    assert removed.status_code == 200, removed.text
    # Both consumers have applied it: planning told Ada, and the read model lists one date less.
    await notices_of_kind(discovery, ada, "event_cancelled")
    await occurrences_found(discovery, workshop.marker, workshop.year, workshop.dates - 1)

    mine = await listing(discovery, ada, "rsvps")
    assert [(r["rsvp"], r["event"]["id"], r["event"]["status"]) for r in mine] == [
        ("going", gone["id"], "cancelled"),
        ("going", kept["id"], "published"),
    ]
    shown = mine[0]["event"]
    fields = ("title", "startAt", "endAt", "recurrenceId", "seriesId", "timezone", "approxLocation")
    assert {f: shown[f] for f in fields} == {f: gone[f] for f in fields}
    assert shown["channel"] == gone["channel"]
    assert {f: mine[1]["event"][f] for f in fields} == {f: kept[f] for f in fields}
    assert [(s["id"], s["status"]) for s in await listing(discovery, ada, "saves")] == [
        (gone["id"], "cancelled")
    ]

    after = await calendar_of(discovery, ada)
    assert set(after) == set(before) == {gone["id"], kept["id"]}
    cancelled = after[gone["id"]]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.walk("VALARM") == []
    assert cancelled["DTSTART"].dt == datetime.fromisoformat(gone["startAt"])
    assert cancelled["DTEND"].dt == datetime.fromisoformat(gone["endAt"])
    assert str(cancelled["SUMMARY"]) == f"Cancelled: {gone['title']}"
    assert cancelled["SEQUENCE"] > before[gone["id"]]["SEQUENCE"]
    assert cancelled["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    same = ("STATUS", "SUMMARY", "DTSTART", "DTEND", "LOCATION")
    assert [after[kept["id"]][p].to_ical() for p in same] == [
        before[kept["id"]][p].to_ical() for p in same
    ]
    assert alarms(after[kept["id"]]) == alarms(before[kept["id"]])
    assert len(alarms(after[kept["id"]])) == 2

    async with httpx.AsyncClient(
        base_url=str(discovery.base_url), cookies={"pinned_people_session": ada.token}, timeout=30
    ) as pages:
        page = (await pages.get("/me")).text
    assert f'<li class="event cancelled" data-event-id="{gone["id"]}" data-rsvp="going">' in page
    assert f'<li class="event" data-event-id="{kept["id"]}" data-rsvp="going">' in page


async def listing(
    discovery: httpx.AsyncClient, person: PersonClient, what: str
) -> list[dict[str, Any]]:
    response = await discovery.get(f"{PEOPLE}/me/{what}", headers=person.headers)
    assert response.status_code == 200, response.text
    docs: list[dict[str, Any]] = response.json()["docs"]
    return docs


async def calendar_of(discovery: httpx.AsyncClient, person: PersonClient) -> dict[str, Any]:
    """The person's calendar feed, its VEVENTs by UID (without the domain)."""
    response = await discovery.get(f"{PEOPLE}/me/calendar.ics", headers=person.headers)
    assert response.status_code == 200, response.text
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def alarms(component: Any) -> list[object]:
    return sorted(a["TRIGGER"].dt for a in component.walk("VALARM"))
