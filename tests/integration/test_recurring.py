"""Recurring events end to end: a weekly workshop published once appears as its occurrences
in search, on the city page and in feeds, at 19:00 local on both sides of Berlin's March and
October clock changes; the channel's iCalendar feed, expanded by recurring-ical-events,
gives the same occurrences as the search; a monthly rule on the 31st and an EXDATE hold
everywhere; mistakes in a rule are field errors naming the part."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import httpx

from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import (
    EVENTS,
    VISIBLE_WITHIN_SECONDS,
    create_event,
    publish_channel,
)
from tests.integration.people_support import (
    PEOPLE,
    PersonClient,
    notices_of_kind,
    rsvp,
    sign_up,
)
from tests.integration.recurring_support import (
    BERLIN,
    BERLIN_CITY,
    first_weekday,
    last_sunday,
    listed_workshop,
    occurrences_found,
    read_back,
    tuesdays,
    weekly_workshop,
)


async def test_a_weekly_workshop_published_once_appears_as_its_occurrences_across_dst(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    year = datetime.now(UTC).year + 1
    skipped = first_weekday(year, 6, 1)  # a Tuesday in summer time
    workshop = await weekly_workshop(api, tenant, exdates=[skipped.isoformat()])
    expected = [d for d in tuesdays(workshop.start.date(), date(year, 11, 20)) if d != skipped]
    docs = await occurrences_found(discovery, workshop.marker, year, len(expected))

    starts = [datetime.fromisoformat(doc["startAt"]) for doc in docs]
    assert [s.date() for s in starts] == expected
    assert {s.astimezone(BERLIN).time() for s in starts} == {time(19)}
    spring, autumn = last_sunday(year, 3), last_sunday(year, 10)
    for moment in starts:  # 18:00 UTC in winter time, 17:00 UTC in summer time
        summer = spring < moment.date() < autumn
        assert moment.utcoffset() == timedelta(hours=2 if summer else 1), moment
    assert {doc["seriesId"] for doc in docs} == {workshop.event_id}
    assert [doc["id"] for doc in docs] == [f"{workshop.event_id}_{d}" for d in expected]
    assert docs[0]["recurrence"]["rrule"] == f"FREQ=WEEKLY;BYDAY=TU;UNTIL={year}1120"

    feed = (await discovery.get(f"/feeds/channels/{slug}.ics")).text
    assert feed.count("RRULE:") == 1  # the series is one VEVENT
    assert f"EXDATE;TZID=Europe/Berlin:{skipped:%Y%m%d}T190000" in feed
    instances = read_back(feed, year)
    assert [i["DTSTART"].dt for i in instances] == starts
    assert {str(i["UID"]) for i in instances} == {f"{workshop.event_id}@pinned.events"}

    items = (await discovery.get(f"/feeds/channels/{slug}.json")).json()["items"]
    assert [item["id"] for item in items] == [doc["id"] for doc in docs[:5]]  # the next five

    city = await discovery.get(
        "/cities/place-berlin",
        params={"q": workshop.marker, "from": f"{year}-01-01", "to": f"{year}-12-31"},
    )
    assert city.status_code == 200
    listed = re.findall(r'data-event-id="([^"]+)"', city.text)
    assert listed == [doc["id"] for doc in docs[:20]]  # the page's first 20, in order


async def test_each_occurrence_has_a_page_and_the_series_a_calendar(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    workshop, docs = await listed_workshop(api, discovery, tenant)
    second = docs[1]

    page = await discovery.get(f"/events/{second['id']}")
    assert page.status_code == 200
    block = re.search(r'application/ld\+json">(.*?)</script>', page.text, re.S)
    assert block is not None
    ld = json.loads(block[1])
    assert ld["startDate"] == second["startAt"]
    assert ld["superEvent"]["@id"].endswith(f"/events/{workshop.event_id}")
    assert f'data-event-id="{docs[2]["id"]}"' in page.text  # the other dates listed

    api_doc = (await discovery.get(f"/api/discovery/v1/events/{second['id']}")).json()
    assert (api_doc["id"], api_doc["startAt"]) == (second["id"], second["startAt"])
    by_series = (await discovery.get(f"/api/discovery/v1/events/{workshop.event_id}")).json()
    assert by_series["id"] == docs[0]["id"]  # the series' own id: its next occurrence

    one = (await discovery.get(f"/events/{second['id']}.ics")).text
    assert "RRULE" not in one
    assert f"UID:{second['id']}@pinned.events" in one
    every = (await discovery.get(f"/events/{workshop.event_id}.ics")).text
    assert [i["DTSTART"].dt.isoformat() for i in read_back(every, workshop.year)] == [
        doc["startAt"] for doc in docs
    ]


async def test_a_monthly_rule_on_the_31st_lists_only_months_that_have_one(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    year = datetime.now(UTC).year + 1
    marker = f"m{tenant.channel_id}x"
    await create_event(
        api, tenant, title=f"Month end market {marker}",
        startAt=datetime(year, 1, 31, 10, tzinfo=BERLIN).isoformat(),
        timezone="Europe/Berlin", approxLocation=BERLIN_CITY,
        recurrence={"rrule": "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=7"},
    )  # fmt: skip
    docs = await occurrences_found(discovery, marker, year, 7)
    assert [datetime.fromisoformat(d["startAt"]).month for d in docs] == [1, 3, 5, 7, 8, 10, 12]
    assert {datetime.fromisoformat(d["startAt"]).day for d in docs} == {31}
    instances = read_back((await discovery.get(f"/feeds/channels/{slug}.ics")).text, year)
    assert [i["DTSTART"].dt.isoformat() for i in instances] == [d["startAt"] for d in docs]


async def test_mistakes_in_a_recurrence_are_field_errors_naming_the_part(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    year = datetime.now(UTC).year + 1
    tuesday = datetime.combine(first_weekday(year, 3, 1), time(19), BERLIN)
    cases = {
        "FREQ=WEEKLY;BYHOUR=9;COUNT=4": ("recurrence.rrule.BYHOUR", "unsupported_rule_part"),
        "FREQ=WEEKLY;BYDAY=TU": ("recurrence.rrule", "unbounded_rule"),
        "FREQ=WEEKLY;COUNT=500": ("recurrence.rrule.COUNT", "beyond_horizon"),
        "FREQ=WEEKLY;BYDAY=SA;COUNT=4": ("startAt", "start_not_an_occurrence"),
    }
    for rrule, (path, code) in cases.items():
        body = tenant.event(
            startAt=tuesday.isoformat(),
            timezone="Europe/Berlin", approxLocation=BERLIN_CITY, recurrence={"rrule": rrule},
        )  # fmt: skip
        response = await api.post(EVENTS, json=body, headers=tenant.headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert (path, code) in [(f["path"], f["code"]) for f in error["fields"]], error


async def test_plans_attach_to_one_occurrence_and_follow_it_when_the_series_changes(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    workshop = await weekly_workshop(api, tenant, capacity=12)
    docs = await occurrences_found(discovery, workshop.marker, workshop.year, workshop.dates)
    third = docs[2]
    ada = await sign_up(discovery, "Ada")
    answer = await rsvp(discovery, ada, third["id"], "going")
    assert answer.status_code == 200, answer.text
    assert answer.json()["eventId"] == third["id"]
    assert answer.json()["attendance"] == {
        "going": 1, "interested": 0, "waitlisted": 0, "capacity": 12, "placesLeft": 11
    }  # fmt: skip
    whole = await rsvp(discovery, ada, workshop.event_id, "going")
    assert whole.status_code == 409
    assert whole.json()["error"]["code"] == "occurrence_required"
    # The series' own id names no one date: reminders and counts say so as RSVPs do.
    for answer in (
        await discovery.put(f"{PEOPLE}/me/reminders/events/{workshop.event_id}",
                            json={"minutesBefore": [30]}, headers=ada.headers),
        await discovery.get(f"/api/discovery/v1/events/{workshop.event_id}/attendance"),
    ):  # fmt: skip
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, "occurrence_required")
    counts = await discovery.get(f"/api/discovery/v1/events/{docs[3]['id']}/attendance")
    assert counts.json()["going"] == 0  # each occurrence has its own places
    mine = (await discovery.get(f"{PEOPLE}/me/rsvps", headers=ada.headers)).json()["docs"]
    assert [(r["rsvp"], r["event"]["id"]) for r in mine] == [("going", third["id"])]
    calendar = await discovery.get(f"{PEOPLE}/me/calendar.ics", headers=ada.headers)
    assert f"UID:{third['id']}@pinned.events" in calendar.text  # that date, on its own
    assert "RRULE" not in calendar.text
    start = datetime.fromisoformat(third["startAt"])
    assert await due(discovery, ada) == [
        (third["id"], start - timedelta(days=1)), (third["id"], start - timedelta(hours=1))
    ]  # fmt: skip

    # The whole series moves to 18:30: the planned occurrence with it (same date, same id).
    later = workshop.start.replace(hour=18, minute=30)
    moved = await api.patch(
        f"{EVENTS}/{workshop.event_id}",
        json={"startAt": later.isoformat(), "endAt": (later + timedelta(hours=2)).isoformat()},
        headers=tenant.headers,
    )
    assert moved.status_code == 200, moved.text
    notice = (await notices_of_kind(discovery, ada, "event_moved"))[0]
    assert notice["data"]["occurrenceId"] == third["id"]
    # Named as people name it, not by the occurrence's derived key: the inbox page's link
    # opens the occurrence's page.
    assert notice["eventId"] == notice["data"]["eventId"] == third["id"]
    async with httpx.AsyncClient(
        base_url=str(discovery.base_url), cookies={"pinned_people_session": ada.token}, timeout=30
    ) as pages:
        inbox = (await pages.get("/me/inbox")).text
    assert f'href="/events/{third["id"]}"' in inbox
    page = await discovery.get(f"/events/{third['id']}")
    assert page.status_code == 200
    # The series' own page shows its next occurrence: that date's counts and Ada's plan.
    await rsvp(discovery, ada, docs[0]["id"], "interested")
    async with httpx.AsyncClient(
        base_url=str(discovery.base_url), cookies={"pinned_people_session": ada.token}, timeout=30
    ) as pages:
        series_page = (await pages.get(f"/events/{workshop.event_id}")).text
    assert 'data-rsvp="interested"' in series_page
    assert 'data-interested="1"' in series_page
    withdrawn = await discovery.delete(f"{PEOPLE}/me/rsvps/{docs[0]['id']}", headers=ada.headers)
    assert withdrawn.status_code in (200, 204), withdrawn.text
    new_start = start.replace(hour=18, minute=30)
    assert datetime.fromisoformat(notice["data"]["startAt"]) == new_start
    assert await due(discovery, ada) == [
        (third["id"], new_start - timedelta(days=1)),
        (third["id"], new_start - timedelta(hours=1)),
    ]

    # An EXDATE takes the occurrence out of the series: the people going are told.
    rule = docs[0]["recurrence"]["rrule"]
    gone = await api.patch(
        f"{EVENTS}/{workshop.event_id}",
        json={"recurrence": {"rrule": rule, "exdates": [start.date().isoformat()]}},
        headers=tenant.headers,
    )
    assert gone.status_code == 200, gone.text
    cancelled = (await notices_of_kind(discovery, ada, "event_cancelled"))[0]
    assert cancelled["data"]["occurrenceId"] == third["id"]
    assert await due(discovery, ada) == []


async def due(discovery: httpx.AsyncClient, person: PersonClient) -> list[tuple[str, datetime]]:
    body = (await discovery.get(f"{PEOPLE}/me/reminders", headers=person.headers)).json()
    return sorted(
        (r["eventId"], datetime.fromisoformat(r["dueAt"]))
        for r in body["scheduled"]
        if r["state"] == "pending"
    )


async def test_a_moved_and_a_cancelled_occurrence_show_everywhere_and_survive_a_series_change(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await publish_channel(api, tenant)
    workshop, docs = await listed_workshop(api, discovery, tenant)
    cancelled, moved = docs[1], docs[2]
    route = f"{EVENTS}/{workshop.event_id}/occurrences"
    answer = await api.patch(
        f"{route}/{cancelled['id'].rsplit('_', 1)[1]}",
        json={"status": "cancelled"},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    new_start = datetime.fromisoformat(moved["startAt"]) + timedelta(days=1, hours=-1)
    answer = await api.patch(
        f"{route}/{moved['recurrenceId']}",  # by the original instant this time
        json={"startAt": new_start.isoformat()},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    overrides = answer.json()["occurrenceOverrides"]
    assert [o["recurrenceId"] for o in overrides] == [
        cancelled["recurrenceId"],
        moved["recurrenceId"],
    ]

    async def shown() -> list[dict[str, object]] | None:
        found = await occurrences_found(discovery, workshop.marker, workshop.year, workshop.dates)
        return (
            found
            if found[1]["status"] == "cancelled" and found[2]["startAt"] != moved["startAt"]
            else None
        )

    found = await eventually(shown, within=VISIBLE_WITHIN_SECONDS)
    assert datetime.fromisoformat(found[2]["startAt"]) == new_start
    assert found[2]["recurrenceId"] == moved["recurrenceId"]
    assert [d["status"] for d in found].count("cancelled") == 1

    feed = (await discovery.get(f"/feeds/channels/{slug}.ics")).text
    assert feed.count("RECURRENCE-ID;TZID=Europe/Berlin:") == 2
    instances = {i["RECURRENCE-ID"].dt if "RECURRENCE-ID" in i else i["DTSTART"].dt: i
                 for i in read_back(feed, workshop.year)}  # fmt: skip
    gone = instances[datetime.fromisoformat(cancelled["startAt"])]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert instances[datetime.fromisoformat(moved["startAt"])]["DTSTART"].dt == new_start
    assert sorted(i["DTSTART"].dt for i in instances.values()) == sorted(
        datetime.fromisoformat(d["startAt"]) for d in found
    )

    page = (await discovery.get(f"/events/{moved['id']}")).text
    assert "EventRescheduled" in page
    assert "Moved from" in page

    # A change of the series keeps both: a resend of the whole series by its source too.
    retitled = await api.patch(
        f"{EVENTS}/{workshop.event_id}",
        json={"title": f"Ceramics workshop {workshop.marker}"},
        headers=tenant.headers,
    )
    assert retitled.status_code == 200, retitled.text
    assert len(retitled.json()["occurrenceOverrides"]) == 2

    async def retitled_shown() -> list[dict[str, object]] | None:
        found = await occurrences_found(discovery, workshop.marker, workshop.year, workshop.dates)
        return found if found[0]["title"].startswith("Ceramics") else None

    after = await eventually(retitled_shown, within=VISIBLE_WITHIN_SECONDS)
    assert after[1]["status"] == "cancelled"
    assert datetime.fromisoformat(after[2]["startAt"]) == new_start


async def test_the_occurrence_route_refuses_what_names_no_occurrence(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    workshop = await weekly_workshop(api, tenant)
    route = f"{EVENTS}/{workshop.event_id}/occurrences"
    wednesday = (workshop.start + timedelta(days=1)).date().isoformat()
    cases = [
        (f"{route}/{wednesday}", {"status": "cancelled"}, 404, "occurrence_not_found"),
        (f"{route}/next-tuesday", {"status": "cancelled"}, 404, "occurrence_not_found"),
        (f"{route}/{workshop.start.date()}", {"title": "x"}, 422, "validation_failed"),
        (f"{route}/{workshop.start.date()}", {}, 422, "validation_failed"),
        (f"{route}/{workshop.start.date()}",
         {"startAt": workshop.start.replace(tzinfo=None).isoformat() + "+05:00"}, 422,
         "validation_failed"),
    ]  # fmt: skip
    for url, body, status, code in cases:
        response = await api.patch(url, json=body, headers=tenant.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), url
    # Each 404 names the path's {start}: absent from the series, or no date at all.
    for start, field_code in ((wednesday, "occurrence_not_found"),
                              ("next-tuesday", "invalid_occurrence_start")):  # fmt: skip
        cancel = {"status": "cancelled"}
        error = (await api.patch(f"{route}/{start}", json=cancel, headers=tenant.headers)).json()
        assert [(f["path"], f["code"]) for f in error["error"]["fields"]] == [
            ("start", field_code)
        ], error
    single = await create_event(api, tenant)
    response = await api.patch(
        f"{EVENTS}/{single}/occurrences/2030-01-01", json={"status": "cancelled"},
        headers=tenant.headers,
    )  # fmt: skip
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_recurring")


async def test_cancelling_one_occurrence_tells_the_people_going_to_it_and_nobody_else(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    workshop, docs = await listed_workshop(api, discovery, tenant)
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    assert (await rsvp(discovery, ada, docs[1]["id"], "going")).status_code == 200
    assert (await rsvp(discovery, bo, docs[2]["id"], "going")).status_code == 200
    day = docs[1]["id"].rsplit("_", 1)[1]
    response = await api.patch(
        f"{EVENTS}/{workshop.event_id}/occurrences/{day}",
        json={"status": "cancelled"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    notice = (await notices_of_kind(discovery, ada, "event_cancelled"))[0]
    assert notice["data"]["occurrenceId"] == notice["eventId"] == docs[1]["id"]
    assert "is cancelled" in notice["title"]
    bo_notices = (await discovery.get(f"{PEOPLE}/me/notifications", headers=bo.headers)).json()
    assert [n["kind"] for n in bo_notices["docs"]] == []  # the same batch would have had it
    assert await due(discovery, ada) == []
    assert len(await due(discovery, bo)) == 2
    refused = await rsvp(discovery, bo, docs[1]["id"], "going")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "event_cancelled")
