"""`pinned keys`: create (secret once), list (never a secret), rotate with overlap, revoke,
disable / enable, history; the developer API and the CLI share one key store."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from devstack.stack import Servers
from tests.integration.conftest import Tenant, eventually

CHANNELS = "/api/public/v1/channels"


def pinned(
    stack: Servers, *args: str, for_people: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the CLI against the test stack; JSON output unless `for_people`."""
    cli = Path(sys.executable).parent / "pinned"
    return subprocess.run(
        [str(cli), *([] if for_people else ["--json"]), *args],
        env={
            **os.environ,
            "DATABASE_URL": stack.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_create_list_rotate_revoke(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = pinned(stack, "keys", "create", "--account", str(tenant.account_id),
                     "--name", "CMS sync", "--scope", "channels:read")  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["key"]
    assert (await api.get(CHANNELS, headers=auth(token))).status_code == 200
    prefix = token.split("_")[2]

    listed = json.loads(pinned(stack, "keys", "list", "--account", str(tenant.account_id)).stdout)
    assert token.split("_")[3] not in json.dumps(listed)
    mine = next(k for k in listed if k["prefix"] == prefix)
    assert (mine["scopes"], mine["status"]) == (["channels:read"], "active")

    rotated = pinned(stack, "keys", "rotate", prefix, "--overlap-hours", "0.003")  # 10.8 s
    new_token = json.loads(rotated.stdout)["key"]
    assert (await api.get(CHANNELS, headers=auth(new_token))).status_code == 200
    assert (await api.get(CHANNELS, headers=auth(token))).status_code == 200  # overlap

    async def old_expired() -> bool:
        return (await api.get(CHANNELS, headers=auth(token))).status_code == 401

    await eventually(old_expired, within=30, interval=0.5)

    revoked = pinned(stack, "keys", "revoke", new_token.split("_")[2], "--reason", "leaked")
    assert revoked.returncode == 0, revoked.stderr
    assert (await api.get(CHANNELS, headers=auth(new_token))).status_code == 401
    listed = json.loads(pinned(stack, "keys", "list", "--account", str(tenant.account_id)).stdout)
    gone = next(k for k in listed if k["prefix"] == new_token.split("_")[2])
    assert (gone["status"], gone["revoked_reason"]) == ("revoked", "leaked")
    assert gone["revoked_by"].startswith("cli:")


async def test_unknown_prefix_is_a_clear_error(stack: Servers) -> None:
    result = await asyncio.to_thread(pinned, stack, "keys", "revoke", "NOPE1234", "--reason", "x")
    assert result.returncode == 2
    assert "no key with prefix NOPE1234" in result.stderr


async def test_an_unknown_account_is_named_not_listed_as_empty(stack: Servers) -> None:
    for command in (("keys", "list"), ("channels", "list")):
        result = await asyncio.to_thread(pinned, stack, *command, "--account", "999999")
        assert result.returncode == 2, command
        assert "no account 999999" in result.stderr, command


async def test_disable_enable_history_and_owner_keys(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await asyncio.to_thread(
        pinned, stack, "keys", "create", "--account", str(tenant.account_id),
        "--name", "ops console", "--owner",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    owner = json.loads(created.stdout)
    listed = await api.get("/api/developer/v1/keys", headers=auth(owner["key"]))
    assert listed.status_code == 200

    prefix = owner["prefix"]
    assert (await asyncio.to_thread(pinned, stack, "keys", "disable", prefix)).returncode == 0
    assert (await api.get("/api/developer/v1/keys", headers=auth(owner["key"]))).status_code == 401
    twice = await asyncio.to_thread(pinned, stack, "keys", "disable", prefix)
    assert (twice.returncode, twice.stderr.strip()) == (
        2,
        f"error: key {prefix} is already disabled",
    )
    assert (await asyncio.to_thread(pinned, stack, "keys", "enable", prefix)).returncode == 0
    assert (await api.get("/api/developer/v1/keys", headers=auth(owner["key"]))).status_code == 200

    history = json.loads((await asyncio.to_thread(pinned, stack, "keys", "history", prefix)).stdout)
    assert [e["action"] for e in history] == ["created", "disabled", "enabled"]
    assert all(e["actor"].startswith("cli:") for e in history)
