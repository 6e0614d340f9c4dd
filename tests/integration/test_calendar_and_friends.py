"""The personal calendar feed by secret URL (PARTSTAT from the RSVP, a VALARM per reminder,
revocation that stops at once), and friends who see each other's plans only when both share."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from icalendar import Calendar

from tests.integration.conftest import Tenant
from tests.integration.people_support import (
    PEOPLE,
    ask,
    befriend,
    notices_of_kind,
    published_event,
    rsvp,
    share,
    sign_up,
)


def vevents(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


async def test_the_calendar_feed_holds_my_plans_with_alarms_and_partstat(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada = await sign_up(discovery, "Ada")
    going = await published_event(api, discovery, tenant, title="Going one")
    maybe = await published_event(api, discovery, tenant, title="Maybe one")
    declined = await published_event(api, discovery, tenant, title="Declined one")
    for event_id, status in ((going, "going"), (maybe, "interested"), (declined, "not_going")):
        assert (await rsvp(discovery, ada, event_id, status)).status_code == 200
    custom = await discovery.put(
        f"{PEOPLE}/me/reminders/events/{maybe}", json={"minutesBefore": [120]}, headers=ada.headers
    )
    assert custom.status_code == 200

    issued = await discovery.post(f"{PEOPLE}/me/calendar-url", headers=ada.headers)
    assert issued.status_code == 201
    url = issued.json()["url"]
    assert "token=ppc_" in url
    async with httpx.AsyncClient(timeout=30) as app:  # a calendar app: no session, the URL only
        feed = await app.get(url)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = vevents(feed.content)
    assert set(events) == {going, maybe}
    attendee = events[going]["ATTENDEE"]
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert str(attendee) == f"mailto:{ada.email}"
    assert events[maybe]["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
    alarms = {
        uid: sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) for uid, event in events.items()
    }
    assert alarms[going] == [-timedelta(days=1), -timedelta(hours=1)]
    assert alarms[maybe] == [-timedelta(hours=2)]
    again = await discovery.get(url, headers={"If-None-Match": feed.headers["etag"]})
    assert again.status_code == 304

    replaced = await discovery.post(f"{PEOPLE}/me/calendar-url", headers=ada.headers)
    assert (await discovery.get(url)).status_code == 401, "the old URL stops at once"
    assert (await discovery.get(replaced.json()["url"])).status_code == 200
    assert (
        await discovery.delete(f"{PEOPLE}/me/calendar-url", headers=ada.headers)
    ).status_code == 204
    assert (await discovery.get(replaced.json()["url"])).status_code == 401
    own = await discovery.get(f"{PEOPLE}/me/calendar.ics", headers=ada.headers)
    assert set(vevents(own.content)) == {going, maybe}


async def test_friends_see_each_others_plans_only_when_both_share(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada, bo, cy, stranger = [await sign_up(discovery, n) for n in ("Ada", "Bo", "Cy", "Stranger")]
    event_id = await published_event(api, discovery, tenant)
    await befriend(discovery, ada, bo)
    await befriend(discovery, ada, cy)
    assert (await notices_of_kind(discovery, bo, "friend_request"))[0][
        "title"
    ] == "Ada wants to be friends"
    accepted = await notices_of_kind(discovery, ada, "friend_accepted", count=2)
    assert {n["data"]["personId"] for n in accepted} == {bo.id, cy.id}
    for person, status in ((bo, "going"), (cy, "interested"), (stranger, "going")):
        assert (await rsvp(discovery, person, event_id, status)).status_code == 200
    path = f"{PEOPLE}/events/{event_id}/friends"

    off = (await discovery.get(path, headers=ada.headers)).json()
    assert (off["docs"], off["youShare"]) == ([], False), "sharing is off by default"
    await share(discovery, ada)
    assert (await discovery.get(path, headers=ada.headers)).json()["docs"] == [], (
        "friends who do not share stay hidden"
    )
    await share(discovery, bo)
    await share(discovery, stranger)
    seen = (await discovery.get(path, headers=ada.headers)).json()["docs"]
    assert seen == [{"id": bo.id, "displayName": "Bo", "status": "going"}]
    await share(discovery, cy)
    seen = (await discovery.get(path, headers=ada.headers)).json()["docs"]
    assert [(f["displayName"], f["status"]) for f in seen] == [
        ("Bo", "going"),
        ("Cy", "interested"),
    ]
    # A sharing non-friend never shows, and a friend of Ada's is no friend of the stranger's.
    assert (await discovery.get(path, headers=stranger.headers)).json()["docs"] == []

    removed = await discovery.delete(f"{PEOPLE}/me/friends/{bo.id}", headers=ada.headers)
    assert removed.status_code == 204
    seen = (await discovery.get(path, headers=ada.headers)).json()["docs"]
    assert [f["displayName"] for f in seen] == ["Cy"]
    friends = (await discovery.get(f"{PEOPLE}/me/friends", headers=bo.headers)).json()["docs"]
    assert friends == []


async def test_a_friend_request_reveals_nothing_about_who_has_an_account(
    discovery: httpx.AsyncClient,
) -> None:
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    known = await ask(discovery, ada, bo.email)
    unknown = await ask(discovery, ada, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    # Asking back accepts.
    assert (await ask(discovery, bo, ada.email)).status_code == 202
    friends = (await discovery.get(f"{PEOPLE}/me/friends", headers=ada.headers)).json()["docs"]
    assert [f["id"] for f in friends] == [bo.id]


async def test_a_friend_request_is_declined_from_the_account_page(
    discovery: httpx.AsyncClient,
) -> None:
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    assert (await ask(discovery, ada, bo.email)).status_code == 202
    async with httpx.AsyncClient(
        base_url=str(discovery.base_url), cookies={"pinned_people_session": bo.token}, timeout=30
    ) as pages:
        page = (await pages.get("/me")).text
        found = re.search(r'action="(/me/friend-requests/[^"]+/decline)"', page)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None, page
        assert csrf is not None
        declined = await pages.post(found.group(1), data={"csrf": csrf.group(1)})
        assert declined.status_code == 303
        assert "wants to be friends" not in (await pages.get("/me")).text
    incoming = (await discovery.get(f"{PEOPLE}/me/friend-requests", headers=bo.headers)).json()
    assert incoming["docs"] == []
    assert (await discovery.get(f"{PEOPLE}/me/friends", headers=ada.headers)).json()["docs"] == []
