"""Reminders at the right instants, driven by the scheduler's clock (never by sleeping),
delivered to the inbox through the notifications topic; events that move take their
reminders along and tell the people who planned them; cancelled ones tell them too."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx

from devstack.stack import ServiceProcess
from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import (
    EVENTS,
    event_action,
    future_start,
    public_event,
    publish_channel,
)
from tests.integration.people_support import (
    PEOPLE,
    befriend,
    notices_of_kind,
    notifications,
    published_event,
    rsvp,
    share,
    sign_up,
)
from tests.integration.scheduling import move_clock


async def scheduled(
    discovery: httpx.AsyncClient, headers: dict[str, str]
) -> list[tuple[int, datetime, str]]:
    body = (await discovery.get(f"{PEOPLE}/me/reminders", headers=headers)).json()
    return sorted(
        (r["minutesBefore"], datetime.fromisoformat(r["dueAt"]), r["state"])
        for r in body["scheduled"]
    )


async def test_reminders_reach_the_inbox_at_their_instants(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    tenant: Tenant,
    services: dict[str, ServiceProcess],
    scheduler_clock: Path,
) -> None:
    start_text = future_start(days=12, hour=19)
    start = datetime.fromisoformat(start_text)
    event_id = await published_event(
        api, discovery, tenant, startAt=start_text, title="Jazz on the pier"
    )
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    assert (await rsvp(discovery, ada, event_id, "going")).status_code == 200
    assert (
        await discovery.put(f"{PEOPLE}/me/saves/{event_id}", headers=bo.headers)
    ).status_code == 200
    override = await discovery.put(
        f"{PEOPLE}/me/reminders/events/{event_id}", json={"minutesBefore": [30]}, headers=bo.headers
    )
    assert override.status_code == 200, override.text
    day_before, hour_before = start - timedelta(days=1), start - timedelta(hours=1)
    assert await scheduled(discovery, ada.headers) == [
        (60, hour_before, "pending"), (1440, day_before, "pending")
    ]  # fmt: skip
    scheduler = services["scheduler"]

    await move_clock(scheduler, scheduler_clock, day_before - timedelta(seconds=1))
    assert [
        n for n in (await notifications(discovery, ada))["docs"] if n["kind"] == "reminder"
    ] == []

    await move_clock(scheduler, scheduler_clock, day_before)
    first = await notices_of_kind(discovery, ada, "reminder")
    assert first[0]["title"] == "Jazz on the pier starts in 1 day"
    assert datetime.fromisoformat(first[0]["data"]["dueAt"]) == day_before
    assert first[0]["read"] is False

    await move_clock(scheduler, scheduler_clock, start - timedelta(minutes=30))
    both = await notices_of_kind(discovery, ada, "reminder", count=2)
    assert [n["title"] for n in both] == [
        "Jazz on the pier starts in 1 hour", "Jazz on the pier starts in 1 day"
    ]  # fmt: skip
    bos = await notices_of_kind(discovery, bo, "reminder")
    assert [n["title"] for n in bos] == ["Jazz on the pier starts in 30 minutes"]

    # read / unread
    marked = await discovery.patch(
        f"{PEOPLE}/me/notifications/{both[0]['id']}", json={"read": True}, headers=ada.headers
    )
    assert marked.json()["read"] is True
    unread = await notifications(discovery, ada, unread="true")
    assert [n["id"] for n in unread["docs"]] == [both[1]["id"]]
    assert unread["unreadCount"] == 1
    back = await discovery.patch(
        f"{PEOPLE}/me/notifications/{both[0]['id']}", json={"read": False}, headers=ada.headers
    )
    assert back.json()["read"] is False
    assert (await notifications(discovery, ada))["unreadCount"] == 2
    maybe = await discovery.get(
        f"{PEOPLE}/me/notifications", params={"unread": "maybe"}, headers=ada.headers
    )
    assert (maybe.status_code, maybe.json()["error"]["fields"][0]["path"]) == (400, "unread")


async def test_a_moved_event_moves_its_reminders_and_a_cancelled_one_tells_its_people(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    tenant: Tenant,
    services: dict[str, ServiceProcess],
    scheduler_clock: Path,
) -> None:
    start_text = future_start(days=15, hour=20)
    start = datetime.fromisoformat(start_text)
    event_id = await published_event(
        api, discovery, tenant, startAt=start_text, title="Salsa night"
    )
    ada = await sign_up(discovery, "Ada")
    assert (await rsvp(discovery, ada, event_id, "interested")).status_code == 200

    later_text = future_start(days=17, hour=20)
    later = datetime.fromisoformat(later_text)
    moved = await api.patch(
        f"{EVENTS}/{event_id}", json={"startAt": later_text}, headers=tenant.headers
    )
    assert moved.status_code in (200, 202), moved.text
    notice = (await notices_of_kind(discovery, ada, "event_moved"))[0]
    assert notice["title"] == "Salsa night has moved"
    assert datetime.fromisoformat(notice["data"]["startAt"]) == later
    # Both instants as the event's local time, the offsets the API was sent.
    assert notice["data"]["startAt"] == later.isoformat()
    assert notice["data"]["previousStartAt"] == start.isoformat()

    async def moved_reminders() -> list[tuple[int, datetime, str]] | None:
        found = await scheduled(discovery, ada.headers)
        return found if found and found[0][1] == later - timedelta(hours=1) else None

    assert await eventually(moved_reminders) == [
        (60, later - timedelta(hours=1), "pending"),
        (1440, later - timedelta(days=1), "pending"),
    ]
    scheduler = services["scheduler"]
    await move_clock(scheduler, scheduler_clock, start - timedelta(minutes=59))  # the old instants
    assert [
        n for n in (await notifications(discovery, ada))["docs"] if n["kind"] == "reminder"
    ] == []
    await move_clock(scheduler, scheduler_clock, later - timedelta(days=1))
    reminder = (await notices_of_kind(discovery, ada, "reminder"))[0]
    assert reminder["title"] == "Salsa night starts in 1 day"

    await event_action(api, tenant, event_id, "cancel")
    cancelled = (await notices_of_kind(discovery, ada, "event_cancelled"))[0]
    assert cancelled["title"] == "Salsa night is cancelled"
    assert await eventually(lambda: _no_pending(discovery, ada.headers))
    await move_clock(scheduler, scheduler_clock, later - timedelta(minutes=30))
    reminders = [
        n for n in (await notifications(discovery, ada))["docs"] if n["kind"] == "reminder"
    ]
    assert len(reminders) == 1, "no reminder for a cancelled event"
    refused = await rsvp(discovery, ada, event_id, "going")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "event_cancelled"


async def test_a_channel_turned_private_hides_its_plans_and_skips_their_reminders_until_back(
    api: httpx.AsyncClient,
    discovery: httpx.AsyncClient,
    tenant: Tenant,
    services: dict[str, ServiceProcess],
    scheduler_clock: Path,
) -> None:
    # Day 19: after the other tests' instants here, before the scheduler crash test's day 20.
    start_text = future_start(days=19, hour=12)
    start = datetime.fromisoformat(start_text)
    event_id = await published_event(api, discovery, tenant, startAt=start_text, title="Choir")
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    await befriend(discovery, ada, bo)
    for person in (ada, bo):
        await share(discovery, person)
        assert (await rsvp(discovery, person, event_id, "going")).status_code == 200
    saved = await discovery.put(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    assert saved.status_code == 200, saved.text

    async def what_ada_sees() -> tuple[list[str], list[str], int, int]:
        saves = (await discovery.get(f"{PEOPLE}/me/saves", headers=ada.headers)).json()
        rsvps = (await discovery.get(f"{PEOPLE}/me/rsvps", headers=ada.headers)).json()
        calendar = await discovery.get(f"{PEOPLE}/me/calendar.ics", headers=ada.headers)
        friends = await discovery.get(f"{PEOPLE}/events/{event_id}/friends", headers=ada.headers)
        return (
            [doc["id"] for doc in saves["docs"]],
            [doc["event"]["id"] for doc in rsvps["docs"]],
            calendar.text.count(f"UID:{event_id}@"),
            friends.status_code,
        )

    assert await what_ada_sees() == ([event_id], [event_id], 1, 200)
    await publish_channel(api, tenant, visibility="private")
    assert await what_ada_sees() == ([], [], 0, 404), "nothing of a private channel's event"
    assert len(await scheduled(discovery, ada.headers)) == 2, "the plans and reminders are kept"

    scheduler = services["scheduler"]
    await move_clock(scheduler, scheduler_clock, start - timedelta(days=1))
    left = await scheduled(discovery, ada.headers)
    assert left == [(60, start - timedelta(hours=1), "pending")], "the day's one was skipped"
    assert [
        n for n in (await notifications(discovery, ada))["docs"] if n["kind"] == "reminder"
    ] == []

    await publish_channel(api, tenant, visibility="unlisted")
    assert await what_ada_sees() == ([event_id], [event_id], 1, 200)
    await move_clock(scheduler, scheduler_clock, start - timedelta(hours=1))
    (reminder,) = await notices_of_kind(discovery, ada, "reminder")
    assert reminder["title"] == "Choir starts in 1 hour"


async def _no_pending(discovery: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    return all(state != "pending" for _, _, state in await scheduled(discovery, headers))


async def test_a_bigger_capacity_promotes_the_waitlist(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    event_id = await published_event(api, discovery, tenant, capacity=1, title="Tiny gig")
    ada, bo, cy = [await sign_up(discovery, name) for name in ("Ada", "Bo", "Cy")]
    assert (await rsvp(discovery, ada, event_id, "going")).json()["status"] == "going"
    assert (await rsvp(discovery, bo, event_id, "going")).json()["status"] == "waitlisted"
    assert (await rsvp(discovery, cy, event_id, "going")).json()["status"] == "waitlisted"
    grown = await api.patch(f"{EVENTS}/{event_id}", json={"capacity": 2}, headers=tenant.headers)
    assert grown.status_code in (200, 202), grown.text
    promoted = (await notices_of_kind(discovery, bo, "waitlist_promoted"))[0]
    assert promoted["title"] == "You're going to Tiny gig"
    await public_event(discovery, event_id, version=2)
    counts = (await discovery.get(f"/api/discovery/v1/events/{event_id}/attendance")).json()
    assert (counts["going"], counts["waitlisted"], counts["capacity"]) == (2, 1, 2)
    cy_now = (await discovery.get(f"{PEOPLE}/me/rsvps", headers=cy.headers)).json()["docs"]
    assert cy_now[0]["rsvp"] == "waitlisted"
