"""The service under test: its own PostgreSQL (faults.pg), `coordination serve`, and the CLI beside them.

`Service` holds the environment every `coordination` command runs in (DATABASE_URL of the run's
PostgreSQL, a temp data directory, 2FA off), starts and stops serve, finds serve's web and projection
workers, waits for /readyz, and reads the event store's head and the views' positions by SQL.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

from faults.client import Http
from faults.pg import Postgres, free_port
from faults.report import Report

REPO = Path(__file__).resolve().parent.parent


class HarnessError(Exception):
    """The harness itself could not do its job (not a property failure)."""


class Service:
    def __init__(self, args: argparse.Namespace, tmp: Path, report: Report):
        self.args = args
        self.tmp = tmp
        self.report = report
        self.pg = Postgres(tmp / "pg")
        self.port = free_port()
        self.http = Http(self.port, report.t0)
        self.serve: subprocess.Popen | None = None
        self.serve_log = None
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("COORDINATION_", "POSTGRES_", "PG")) and k not in ("DATABASE_URL", "SECRET_KEY")}
        self.env.update({
            "DATABASE_URL": self.pg.url,
            "COORDINATION_DATA_DIR": str(tmp / "data"),
            "COORDINATION_REQUIRE_2FA": "off",
            "PYTHONUNBUFFERED": "1",
            "NO_COLOR": "1",
        })

    # --- processes ------------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> str:
        cmd = [sys.executable, "-m", "entrypoints.cli", *args]
        proc = subprocess.run(cmd, cwd=REPO, env=env or self.env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise HarnessError(f"coordination {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        return proc.stdout

    def start_serve(self) -> None:
        env = dict(self.env)
        if self.args.lost_ack_every:
            env["COORDINATION_FAULT_LOST_ACK_EVERY"] = str(self.args.lost_ack_every)
        self.serve_log = open(self.tmp / "serve.log", "ab")
        self.serve = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.args.workers)],
            cwd=REPO, env=env, stdout=self.serve_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.serve.poll() is not None:
                raise HarnessError(f"serve exited {self.serve.returncode} at start; see {self.tmp / 'serve.log'}")
            try:
                if self.http.request("GET", "/healthz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise HarnessError("serve did not answer /healthz with 200 within 60 s")

    def tree(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        """(web workers, projection workers) among serve's descendants."""
        if self.serve is None or self.serve.poll() is not None:
            return [], []
        web, projection = [], []
        try:
            descendants = psutil.Process(self.serve.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return [], []
        for p in descendants:
            try:
                cmdline = p.cmdline()
                if p.status() == psutil.STATUS_ZOMBIE:
                    continue
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if "worker" in cmdline:
                projection.append(p)
            elif "serve" in cmdline:
                web.append(p)
        return web, projection

    def stop_serve(self) -> None:
        if self.serve is None:
            return
        try:  # serve's processes, also those in a session of their own (the projection worker)
            descendants = psutil.Process(self.serve.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        if self.serve.poll() is None:
            try:
                self.serve.send_signal(signal.SIGTERM)
                self.serve.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.serve.pid, signal.SIGKILL)  # anything left in serve's session (workers, orphans)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.serve.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(descendants, timeout=10)
        for process in alive:  # by pid: only what this serve started
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if self.serve_log:
            self.serve_log.close()
            self.serve_log = None

    # --- readiness and the store ----------------------------------------------------------------

    def wait_ready(self) -> float | None:
        deadline = time.monotonic() + self.args.recovery_timeout
        while time.monotonic() < deadline:
            try:
                if self.http.request("GET", "/readyz", timeout=5).status == 200:
                    return self.report.now()
            except OSError:
                pass
            time.sleep(0.5)
        return None

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.pg.url, autocommit=True, connect_timeout=10)

    def events_table(self, conn: psycopg.Connection) -> str | None:
        row = conn.execute(
            "SELECT c.table_name FROM information_schema.columns c WHERE c.column_name = 'notification_id'"
            " AND c.table_name LIKE %s AND c.table_schema = current_schema() ORDER BY c.table_name LIMIT 1",
            ("%events",),
        ).fetchone()
        return row[0] if row else None

    def head_and_positions(self) -> tuple[int, dict[str, int]]:
        with self.db() as conn:
            table = self.events_table(conn)
            head = conn.execute(f'SELECT coalesce(max(notification_id), 0) FROM "{table}"').fetchone()[0] if table else 0
            positions = dict(conn.execute("SELECT name, position FROM projection_tracking").fetchall())
        return head, positions
