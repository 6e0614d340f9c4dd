"""The operator command line says in one line what is wrong when PostgreSQL or Kafka cannot be
used, instead of a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_an_unreachable_database_is_one_line_naming_it_without_its_password() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devstack.cli", "accounts", "list"],
        env={"DATABASE_URL": "postgresql://pinned:s3cret@127.0.0.1:9/pinned", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot reach PostgreSQL at 127.0.0.1:9/pinned")
    assert "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr


@pytest.mark.parametrize(
    "command", [["status"], ["dlq", "list"], ["dlq", "show", "0:1"], ["dlq", "replay", "--all"]]
)
def test_an_unreachable_broker_is_one_line_naming_it_and_its_variable(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devstack.cli", *command],
        env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: cannot reach Kafka at 127.0.0.1:9 (KAFKA_BOOTSTRAP_SERVERS)"
    ), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # no traceback, no unclosed-client warning
