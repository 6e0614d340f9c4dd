"""Stopping the local stack's processes leaves nothing of theirs behind."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack.processes import spawn, stop

# Each child writes its pid to argv[1] once its signal handlers are in place.
IGNORES_SIGNALS = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(300)
"""
EXITS_ON_SIGINT = """
import os, signal, sys, time
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its entry in the process table.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def started_with_child(tmp_path: Path, code: str) -> tuple[int, subprocess.Popen[bytes]]:
    """A shell that ignores SIGTERM and SIGINT and starts a Python child running `code` (as
    `runuser` starts PostgreSQL), then waits for it; returns (child pid, the shell) once the
    child is ready."""
    child_pid = tmp_path / "child.pid"
    child = shlex.join([sys.executable, "-c", code, str(child_pid)])
    process = spawn(
        "parent",
        ["bash", "-c", f"trap '' TERM INT; {child} & wait"],
        tmp_path / "parent.log",
    )
    for _ in range(100):
        if child_pid.exists() and child_pid.read_text().strip():
            return int(child_pid.read_text()), process
        time.sleep(0.05)
    raise AssertionError("the child never started")


def test_a_child_that_ignores_the_first_signal_is_killed_with_its_parent(tmp_path: Path) -> None:
    child, process = started_with_child(tmp_path, IGNORES_SIGNALS)
    stop(process, grace_seconds=0.5)
    time.sleep(0.1)
    assert not alive(child)


def test_the_first_signal_reaches_the_child_itself(tmp_path: Path) -> None:
    # The parent ignores SIGINT; only the child (PostgreSQL's "fast" shutdown) acts on it.
    child, process = started_with_child(tmp_path, EXITS_ON_SIGINT)
    started = time.monotonic()
    stop(process, grace_seconds=30, first_signal=signal.SIGINT)
    assert time.monotonic() - started < 30  # it ended on the signal, not at the grace period
    assert not alive(child)
