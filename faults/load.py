"""The load: 26 liaison clients (one per unit) and the office client, and the health monitor beside them.

Liaisons acknowledge their tasks and report progress, the office urges; every command has its own
Idempotency-Key and a unique marker in its text. `Load` records every command, every read of the
clients and every /healthz and /readyz poll of the monitor — what the proofs are later computed from.
"""

from __future__ import annotations

import argparse
import random
import threading
import time

from faults import proof
from faults.client import Command, Session, describe_error
from faults.report import Report
from faults.service import Service

PASSWORD = "lucheng-2026"
OPEN = ("assigned", "in_progress", "completion_requested")


def unit_codes() -> list[str]:
    from domain.charter import UNIT_CODES

    return list(UNIT_CODES)


class Load:
    def __init__(self, args: argparse.Namespace, run_id: str, service: Service, report: Report):
        self.args = args
        self.run_id = run_id
        self.service = service
        self.report = report
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.commands: list[Command] = []
        self.reads: list[Command] = []  # GETs of the clients, for the 5xx and hang proof
        self.monitor: list[tuple[float, str, str, float]] = []  # (t, path, status, seconds)
        self.monitor_done = False
        self.clients: list[threading.Thread] = []

    # --- what the clients saw -------------------------------------------------------------------

    def record(self, cmd: Command) -> Command:
        with self.lock:
            self.commands.append(cmd)
        return cmd

    def record_read(self, read: Command) -> None:
        with self.lock:
            self.reads.append(read)

    def session(self, username: str, *, stop: threading.Event | None = None, give_up_after: float | None = None) -> Session:
        session = Session(self.service.http, username, PASSWORD, stop or self.stop,
                          give_up_after=give_up_after or self.args.give_up)
        session.on_read = self.record_read
        return session

    def pause(self, low: float, high: float) -> None:
        self.stop.wait(random.uniform(low, high))

    # --- the clients ----------------------------------------------------------------------------

    def liaison(self, unit: str) -> None:
        username = f"{unit}-liaison"
        session = self.session(username)
        session.login()
        acked: set[str] = set()
        seq = 0
        while not self.stop.is_set():
            r = session.get(f"/api/v1/units/{unit}/board")
            if r is None or r.status != 200:
                self.pause(0.5, 1.5)
                continue
            tasks = [t for t in r.body["tasks"] if t["status"] in OPEN]
            for t in tasks:
                if self.stop.is_set():
                    break
                if t["id"] in acked:
                    continue
                if t["role"] == "lead" and t["status"] != "assigned":
                    acked.add(t["id"])  # a lead's task in progress was acknowledged by the lead
                    continue
                cmd = self.record(session.command("acknowledge", f"/api/v1/tasks/{t['id']}/acknowledgements", None))
                if cmd.acknowledged or cmd.final == "409":
                    acked.add(t["id"])
            candidates = [t for t in tasks if t["id"] in acked and t["status"] == "in_progress"]
            for _ in range(15):
                if self.stop.is_set() or not candidates:
                    break
                t = random.choice(candidates)
                seq += 1
                m = proof.marker(self.run_id, username, seq)
                body = {"percent": random.randint(1, 99), "text": f"[{m}] 第{seq}次进展报告:故障注入演练,工作正常推进。"}
                cmd = self.record(session.command("progress", f"/api/v1/tasks/{t['id']}/progress", body, marker=m))
                if cmd.final == "409":
                    candidates.remove(t)  # closed, or not in progress any more: skip it
                self.pause(0.1, 0.5)
            if not candidates:
                self.pause(1.0, 2.0)

    def office(self) -> None:
        session = self.session("office")
        session.login()
        seq = 0
        while not self.stop.is_set():
            ids: list[str] = []
            for status in ("in_progress", "assigned"):
                r = session.get(f"/api/v1/tasks?status={status}")
                if r is not None and r.status == 200:
                    ids += [t["id"] for t in r.body]
            for _ in range(20):
                if self.stop.is_set() or not ids:
                    break
                task = random.choice(ids)
                seq += 1
                m = proof.marker(self.run_id, "office", seq)
                cmd = self.record(session.command("urge", f"/api/v1/tasks/{task}/urgings",
                                                  {"message": f"[{m}] 请抓紧推进并按时报送进展(故障注入演练)。"}, marker=m))
                if cmd.final == "409":
                    ids.remove(task)
                self.pause(0.2, 0.6)
            if not ids:
                self.pause(1.0, 2.0)

    def guarded(self, name: str, target, *args) -> threading.Thread:
        def body() -> None:
            try:
                target(*args)
            except Exception as exc:  # noqa: BLE001 — a client that dies is reported, not fatal
                self.report.say(f"client {name} stopped: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=body, name=name, daemon=True)
        thread.start()
        return thread

    def watch(self) -> None:
        """Poll /healthz and /readyz twice a second for the whole run (recovery times, healthz latency)."""
        while not self.stop.is_set() or not self.monitor_done:
            for path in ("/healthz", "/readyz"):
                started = self.report.now()
                t0 = time.monotonic()
                try:
                    status = str(self.service.http.request("GET", path, timeout=10).status)
                except OSError as exc:
                    status = describe_error(exc)
                with self.lock:
                    self.monitor.append((started, path, status, time.monotonic() - t0))
            time.sleep(0.5)
            if self.monitor_done:
                return

    # --- start and stop -------------------------------------------------------------------------

    def start(self) -> None:
        """The monitor, then one thread per client."""
        watcher = threading.Thread(target=self.watch, name="watch", daemon=True)
        watcher.start()
        self.clients = [self.guarded(code, self.liaison, code) for code in unit_codes()]
        self.clients.append(self.guarded("office", self.office))
        self.report.say(f"load: {len(self.clients)} clients for {self.args.seconds:g} s")

    def finish(self) -> None:
        """Stop the clients (each finishes its command, bounded by --give-up), then the monitor."""
        self.stop.set()
        self.report.say("stopping the clients (each finishes its command, bounded by --give-up)")
        deadline = time.monotonic() + self.args.give_up + 30
        for t in self.clients:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        stuck = [t.name for t in self.clients if t.is_alive()]
        if stuck:
            self.report.say(f"clients still running (ignored): {stuck}")
        self.monitor_done = True
