"""The faults: what is injected, when, and what the proofs need to know of it afterwards.

Spread over the load: kill -9 a gunicorn web worker (at 12 % of --seconds), kill -9 the projection
worker (25 %), pg_terminate_backend every backend of the database (38 %), stop PostgreSQL for --outage
seconds and start it again (52 %). `Injector` keeps the list of faults for the summary, the pid of the
killed projection worker and the instants PostgreSQL stopped and started (for the recovery proof).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import threading
import time
from dataclasses import dataclass

from faults.report import Report
from faults.service import Service


@dataclass
class Fault:
    at: float
    what: str
    detail: str = ""


class Injector:
    def __init__(self, args: argparse.Namespace, service: Service, stop: threading.Event, report: Report):
        self.args = args
        self.service = service
        self.pg = service.pg
        self.stop = stop
        self.report = report
        self.faults: list[Fault] = []
        self.killed_projection_pid: int | None = None
        self.pg_started_at: float | None = None
        self.pg_stopped_at: float | None = None

    def now(self) -> float:
        return self.report.now()

    def fault(self, what: str, detail: str = "") -> None:
        self.faults.append(Fault(self.now(), what, detail))
        self.report.say(f"FAULT {what} {detail}".rstrip())

    # --- the faults -----------------------------------------------------------------------------

    def kill_web_worker(self) -> None:
        web, _ = self.service.tree()
        if not web:
            self.fault("kill -9 web worker", "SKIPPED: no web worker found")
            return
        victim = random.choice(web)
        os.kill(victim.pid, signal.SIGKILL)
        self.fault("kill -9 web worker", f"pid {victim.pid}")

    def kill_projection_worker(self) -> None:
        _, projection = self.service.tree()
        if not projection:
            self.fault("kill -9 projection worker", "SKIPPED: no projection worker found")
            return
        victim = projection[0]
        self.killed_projection_pid = victim.pid
        os.kill(victim.pid, signal.SIGKILL)
        self.fault("kill -9 projection worker", f"pid {victim.pid}")

    def terminate_backends(self) -> None:
        n = self.pg.terminate_backends()
        self.fault("pg_terminate_backend", f"{n} backends of database ledger")

    def restart_database(self) -> None:
        self.pg.stop("fast")
        self.pg_stopped_at = self.now()
        self.fault("PostgreSQL stopped", "pg_ctl -m fast stop")
        self.stop.wait(self.args.outage)
        self.pg.start()
        self.pg_started_at = self.now()
        self.fault("PostgreSQL started", f"after {self.pg_started_at - self.pg_stopped_at:.1f} s down")

    # --- the schedule ---------------------------------------------------------------------------

    def inject(self) -> None:
        """Each fault at its fraction of --seconds, then wait out the rest of the load."""
        schedule = [(0.12, self.kill_web_worker), (0.25, self.kill_projection_worker),
                    (0.38, self.terminate_backends), (0.52, self.restart_database)]
        start = self.now()
        for fraction, action in schedule:
            due = start + fraction * self.args.seconds
            while self.now() < due:
                time.sleep(min(0.5, due - self.now()))
            try:
                action()
            except Exception as exc:  # noqa: BLE001 — report and carry on with the other faults
                self.fault(action.__name__, f"FAILED: {type(exc).__name__}: {exc}")
                if action == self.restart_database and self.pg.postmaster_pid() is None:
                    self.pg.start()
                    self.pg_started_at = self.now()
        end = start + self.args.seconds
        while self.now() < end:
            time.sleep(min(0.5, end - self.now()))
