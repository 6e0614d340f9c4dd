"""Follow, feed, save and RSVP on the real stack, with capacity and the waitlist decided
under real concurrent requests."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import (
    VISIBLE_WITHIN_SECONDS,
    create_event,
    future_start,
    public_event,
    publish_channel,
)
from tests.integration.people_support import (
    PEOPLE,
    PersonClient,
    notices_of_kind,
    notifications,
    published_event,
    rsvp,
    sign_up,
)

LYON = {"city": {"placeId": "place-lyon", "name": "Lyon", "countryCode": "FR"}}


async def feed_ids(discovery: httpx.AsyncClient, person: PersonClient, **params: str) -> list[str]:
    response = await discovery.get(f"{PEOPLE}/me/feed", headers=person.headers, params=params)
    assert response.status_code == 200, response.text
    return [doc["id"] for doc in response.json()["docs"]]


async def test_a_followed_city_brings_a_newly_published_event_into_the_feed(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada = await sign_up(discovery, "Ada")
    followed = await discovery.put(f"{PEOPLE}/me/follows/city/place-lyon", headers=ada.headers)
    assert followed.status_code == 200, followed.text
    assert await feed_ids(discovery, ada) == [] or True  # other tests may publish in Lyon
    await publish_channel(api, tenant)
    lyon = dict(timezone="Europe/Paris", approxLocation=LYON)
    later = await create_event(api, tenant, startAt=future_start(40, 20, "Europe/Paris"), **lyon)
    sooner = await create_event(api, tenant, startAt=future_start(39, 20, "Europe/Paris"), **lyon)
    elsewhere = await create_event(api, tenant)  # New York: not followed

    async def both_in_feed() -> list[str] | None:
        ids = await feed_ids(discovery, ada, limit="100")
        return ids if {later, sooner} <= set(ids) else None

    ids = await eventually(both_in_feed, within=VISIBLE_WITHIN_SECONDS)
    assert ids.index(sooner) < ids.index(later), "soonest first"
    assert elsewhere not in ids
    follows = (await discovery.get(f"{PEOPLE}/me/follows", headers=ada.headers)).json()["docs"]
    assert [(f["kind"], f["target"]) for f in follows] == [("city", "place-lyon")]


async def test_the_feed_pages_with_a_cursor_and_follows_channels_by_slug(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada = await sign_up(discovery, "Ada")
    slug = await publish_channel(api, tenant, visibility="unlisted")
    ids = [await create_event(api, tenant, startAt=future_start(20 + i)) for i in range(5)]
    for event_id in ids:
        await public_event(discovery, event_id)
    assert (
        await discovery.put(f"{PEOPLE}/me/follows/channel/{slug}", headers=ada.headers)
    ).status_code == 200
    first = await discovery.get(f"{PEOPLE}/me/feed", headers=ada.headers, params={"limit": "3"})
    body = first.json()
    assert [d["id"] for d in body["docs"]] == ids[:3]
    assert body["hasNextPage"] is True
    rest = await discovery.get(
        f"{PEOPLE}/me/feed",
        headers=ada.headers,
        params={"limit": "3", "cursor": body["nextCursor"]},
    )
    assert [d["id"] for d in rest.json()["docs"]] == ids[3:]
    assert rest.json()["hasNextPage"] is False
    foreign = await discovery.get(
        f"{PEOPLE}/me/saves", headers=ada.headers, params={"cursor": body["nextCursor"]}
    )
    assert foreign.status_code == 400
    assert foreign.json()["error"]["fields"][0]["path"] == "cursor"
    unfollowed = await discovery.delete(f"{PEOPLE}/me/follows/channel/{slug}", headers=ada.headers)
    assert unfollowed.status_code == 204
    assert await feed_ids(discovery, ada) == []
    # A link with the slug it had before a rename follows the channel, as its pages redirect.
    renamed = await publish_channel(api, tenant, visibility="unlisted")
    by_old = await discovery.put(f"{PEOPLE}/me/follows/channel/{slug}", headers=ada.headers)
    assert by_old.status_code == 200, by_old.text
    follows = (await discovery.get(f"{PEOPLE}/me/follows", headers=ada.headers)).json()["docs"]
    assert [(f["kind"], f["target"]) for f in follows] == [("channel", renamed)]


async def test_following_something_that_does_not_exist_is_404(discovery: httpx.AsyncClient) -> None:
    ada = await sign_up(discovery, "Ada")
    unknown = ("city/place-xyzzy-nowhere", "classification/basket-weaving", "channel/no-slug")
    for path in (*unknown, "planet/mars"):
        response = await discovery.put(f"{PEOPLE}/me/follows/{path}", headers=ada.headers)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


async def test_save_and_unsave(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada = await sign_up(discovery, "Ada")
    event_id = await published_event(api, discovery, tenant)
    saved = await discovery.put(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    assert saved.status_code == 200
    again = await discovery.put(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    assert again.status_code == 200
    listed = (await discovery.get(f"{PEOPLE}/me/saves", headers=ada.headers)).json()["docs"]
    assert [d["id"] for d in listed] == [event_id]
    assert (
        await discovery.delete(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    ).status_code == 204
    assert (
        await discovery.delete(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    ).status_code == 404
    missing = await discovery.put(f"{PEOPLE}/me/saves/{uuid.uuid4()}", headers=ada.headers)
    assert missing.status_code == 404


async def test_rsvps_and_the_public_counts(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    event_id = await published_event(api, discovery, tenant)
    going = await rsvp(discovery, ada, event_id, "going")
    assert going.status_code == 200, going.text
    assert going.json()["status"] == "going"
    assert (await rsvp(discovery, bo, event_id, "interested")).json()["status"] == "interested"
    counts = (await discovery.get(f"/api/discovery/v1/events/{event_id}/attendance")).json()
    assert (counts["going"], counts["interested"], counts["capacity"]) == (1, 1, None)
    assert "Ada" not in str(counts)
    assert "Bo" not in str(counts)
    changed = await rsvp(discovery, ada, event_id, "not_going")
    assert changed.json()["attendance"]["going"] == 0
    mine = (await discovery.get(f"{PEOPLE}/me/rsvps", headers=ada.headers)).json()["docs"]
    assert [(d["rsvp"], d["event"]["id"]) for d in mine] == [("not_going", event_id)]
    bad = await rsvp(discovery, ada, event_id, "maybe")
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["path"] == "status"


async def test_going_past_capacity_waitlists_and_concurrent_rsvps_never_overfill(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    event_id = await published_event(api, discovery, tenant, capacity=5)
    people = await asyncio.gather(*(sign_up(discovery, f"P{i}") for i in range(20)))
    answers = await asyncio.gather(*(rsvp(discovery, p, event_id, "going") for p in people))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    statuses = [a.json()["status"] for a in answers]
    assert statuses.count("going") == 5
    assert statuses.count("waitlisted") == 15
    positions = sorted(
        a.json()["waitlistPosition"] for a in answers if a.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, 16))
    stored = await db.fetchrow(
        "SELECT going, waitlisted, (SELECT count(*) FROM rsvps WHERE event_id = $1"
        " AND status = 'going') AS rows FROM plan_events WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    assert (stored["going"], stored["waitlisted"], stored["rows"]) == (5, 15, 5)

    # Three people going leave while four newcomers answer going, all at once: exactly the
    # three earliest waitlisted move up, each told once, and the newcomers queue behind.
    goers = [p for p, s in zip(people, statuses, strict=True) if s == "going"][:3]
    waitlisted = sorted(
        (a.json()["waitlistPosition"], p) for p, a in zip(people, answers, strict=True)
        if a.json()["status"] == "waitlisted"
    )  # fmt: skip
    newcomers = await asyncio.gather(*(sign_up(discovery, f"N{i}") for i in range(4)))
    await asyncio.gather(
        *(rsvp(discovery, p, event_id, "not_going") for p in goers),
        *(rsvp(discovery, p, event_id, "going") for p in newcomers),
    )
    expected = {p.id for _, p in waitlisted[:3]}
    rows = await db.fetch(
        "SELECT person_id FROM rsvps WHERE event_id = $1 AND status = 'going'", uuid.UUID(event_id)
    )
    going_now = {row["person_id"] for row in rows}
    assert len(going_now) == 5
    assert expected <= going_now
    assert not {p.id for p in newcomers} & going_now
    for _, person in waitlisted[:3]:
        notices = await notices_of_kind(discovery, person, "waitlist_promoted")
        assert len(notices) == 1
        assert notices[0]["eventId"] == event_id
    fourth = waitlisted[3][1]
    mine = await rsvp(discovery, fourth, event_id, "going")  # answering again keeps the place
    assert (mine.json()["status"], mine.json()["waitlistPosition"]) == ("waitlisted", 1)


async def test_a_mistyped_id_in_a_path_is_named(discovery: httpx.AsyncClient) -> None:
    ada = await sign_up(discovery, "Ada")
    for method, path, field, code in (
        ("PUT", f"{PEOPLE}/me/saves/nonsense", "eventId", "invalid_event_id"),
        ("PATCH", f"{PEOPLE}/me/notifications/not-a-uuid", "notificationId", "uuid_parsing"),
    ):
        answer = await discovery.request(method, path, json={"read": True}, headers=ada.headers)
        assert answer.status_code == 404, path
        error = answer.json()["error"]
        assert [(f["path"], f["code"]) for f in error["fields"]] == [(field, code)], error
        assert "is not one" in error["message"]
    nowhere = await discovery.get(f"{PEOPLE}/nothing/here", headers=ada.headers)
    assert "fields" not in nowhere.json()["error"]


async def test_a_limit_in_digits_other_than_ascii_is_refused(discovery: httpx.AsyncClient) -> None:
    ada = await sign_up(discovery, "Ada")
    for value in ("\u00b2", "\uff11", "\u0661"):  # superscript two, full-width one, Arabic one
        for path, headers in ((f"{PEOPLE}/me/feed", ada.headers), ("/api/discovery/v1/events", {})):
            answer = await discovery.get(path, params={"limit": value}, headers=headers)
            assert answer.status_code == 400, (path, value, answer.text)
            assert answer.json()["error"]["fields"][0]["path"] == "limit"


async def test_a_plan_can_be_withdrawn_once_the_channel_is_private_without_its_counts(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    event_id = await create_event(api, tenant)
    await public_event(discovery, event_id)
    ada = await sign_up(discovery, "Ada")
    assert (await rsvp(discovery, ada, event_id, "going")).status_code == 200
    await publish_channel(api, tenant, visibility="private")

    async def gone() -> bool:
        response = await discovery.get(f"/api/discovery/v1/events/{event_id}")
        return response.status_code == 404

    await eventually(gone)
    withdrawn = await discovery.delete(f"{PEOPLE}/me/rsvps/{event_id}", headers=ada.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["attendance"]) == (None, None)


async def test_the_people_going_are_told_when_an_event_is_taken_back_to_draft(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, title="Rooftop cinema")
    await public_event(discovery, event_id)
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    assert (await rsvp(discovery, ada, event_id, "going")).status_code == 200
    unpublished = await api.post(
        f"/api/public/v1/events/{event_id}/unpublish", headers=tenant.headers
    )
    assert unpublished.status_code == 200, unpublished.text
    (notice,) = await notices_of_kind(discovery, ada, "event_unpublished")
    assert notice["eventId"] == event_id
    assert notice["title"] == "Rooftop cinema is no longer published"
    bo_kinds = [n["kind"] for n in (await notifications(discovery, bo))["docs"]]
    assert "event_unpublished" not in bo_kinds  # only the people who planned it
