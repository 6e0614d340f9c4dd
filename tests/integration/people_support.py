"""Helpers for tests of the people side: accounts with a session, published events to plan
around, and reading a person's inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import (
    VISIBLE_WITHIN_SECONDS,
    create_event,
    public_event,
    publish_channel,
)

PEOPLE = "/api/people/v1"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class PersonClient:
    id: int
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(discovery: httpx.AsyncClient, name: str = "Ada") -> PersonClient:
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    response = await discovery.post(
        f"{PEOPLE}/people", json={"email": email, "password": PASSWORD, "displayName": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return PersonClient(body["person"]["id"], email, name, body["session"]["token"])


async def published_event(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant, **fields: Any
) -> str:
    """An event of the tenant's (public) channel, once discovery shows it."""
    await publish_channel(api, tenant)
    event_id = await create_event(api, tenant, **fields)
    await public_event(discovery, event_id)
    return event_id


async def notifications(
    discovery: httpx.AsyncClient, person: PersonClient, **params: str
) -> dict[str, Any]:
    response = await discovery.get(f"{PEOPLE}/me/notifications", headers=person.headers,
                                   params=params)  # fmt: skip
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def notices_of_kind(
    discovery: httpx.AsyncClient, person: PersonClient, kind: str, count: int = 1
) -> list[dict[str, Any]]:
    """The person's notices of `kind`, once there are `count` of them."""

    async def probe() -> list[dict[str, Any]] | None:
        docs = (await notifications(discovery, person))["docs"]
        found = [d for d in docs if d["kind"] == kind]
        return found if len(found) >= count else None

    found: list[dict[str, Any]] = await eventually(probe, within=VISIBLE_WITHIN_SECONDS * 2)
    return found


async def rsvp(
    discovery: httpx.AsyncClient, person: PersonClient, event_id: str, status: str
) -> httpx.Response:
    return await discovery.put(
        f"{PEOPLE}/me/rsvps/{event_id}", json={"status": status}, headers=person.headers
    )


async def ask(discovery: httpx.AsyncClient, asker: PersonClient, email: str) -> httpx.Response:
    """`asker`'s friend request to `email` (202 whoever has it)."""
    return await discovery.post(
        f"{PEOPLE}/me/friend-requests", json={"email": email}, headers=asker.headers
    )


async def befriend(discovery: httpx.AsyncClient, one: PersonClient, other: PersonClient) -> None:
    assert (await ask(discovery, one, other.email)).status_code == 202
    incoming = (await discovery.get(f"{PEOPLE}/me/friend-requests", headers=other.headers)).json()
    request = next(r for r in incoming["docs"] if r["from"]["id"] == one.id)
    accepted = await discovery.post(
        f"{PEOPLE}/me/friend-requests/{request['id']}/accept", headers=other.headers
    )
    assert accepted.status_code == 200


async def share(discovery: httpx.AsyncClient, person: PersonClient, on: bool = True) -> None:
    changed = await discovery.patch(f"{PEOPLE}/me", json={"sharePlans": on}, headers=person.headers)
    assert changed.status_code == 200
