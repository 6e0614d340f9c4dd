"""Starting, waiting for and stopping the child processes of the local stack."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StackError(RuntimeError):
    """The local stack could not be brought up; the message says what to look at."""


def spawn(
    name: str,
    argv: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so Ctrl-C reaches it only through us)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(
    what: str,
    ready: Callable[[], bool],
    timeout_seconds: float,
    process: subprocess.Popen[bytes] | None = None,
    log_file: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and process.poll() is not None:
            raise StackError(f"{what} exited with code {process.returncode}; {_tail(log_file)}")
        time.sleep(0.2)
    raise StackError(f"{what} not ready after {timeout_seconds:.0f}s; {_tail(log_file)}")


def _tail(log_file: Path | None, lines: int = 15) -> str:
    if log_file is None or not log_file.exists():
        return "no log"
    text = log_file.read_text(errors="replace").splitlines()[-lines:]
    return f"last lines of {log_file}:\n" + "\n".join(text)


def stop(
    process: subprocess.Popen[bytes],
    grace_seconds: float = 20.0,
    first_signal: signal.Signals = signal.SIGTERM,
) -> None:
    """`first_signal`, then SIGKILL after the grace period, both to the process's group
    (`spawn` starts each in a session of its own), so that nothing it started is left
    behind: PostgreSQL runs under `runuser` when started as root, and killing `runuser`
    alone orphaned the server, which then held the stack's port."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, first_signal)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
