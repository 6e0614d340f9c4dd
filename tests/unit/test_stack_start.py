"""A second start of a stack whose servers already listen stops before it wipes anything: a
`make bench` started beside a running one used to delete the first one's PostgreSQL data
folder under its server, which then failed mid-run."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devstack.processes import StackError
from devstack.stack import StackProfile, servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_running_stacks_data_survives_a_second_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINNED_STACK_DIR", str(tmp_path))
    monkeypatch.setenv("PINNED_PORT_OFFSET", "0")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with socket.socket() as running_postgres:
        running_postgres.bind(("127.0.0.1", 0))
        running_postgres.listen()
        port = running_postgres.getsockname()[1]
        profile = StackProfile("twice", _free_port(), _free_port(), port, {}, fresh_data=True)
        data = profile.base_dir / "postgres" / "pgdata" / "PG_VERSION"
        data.parent.mkdir(parents=True)
        data.write_text("15\n")

        taken = pytest.raises(StackError, match=f"{port}.*'twice' stack are taken")
        with taken, servers(profile):
            pytest.fail("servers started beside a running stack")

    assert data.read_text() == "15\n"
