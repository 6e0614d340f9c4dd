"""The operator command line says in one line what is wrong when PostgreSQL cannot be used,
instead of a traceback."""

from __future__ import annotations

import subprocess
import sys


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
