"""`python -m faults.run` — a bounded fault-injection run that proves nothing is lost or doubled.

1. Start a PostgreSQL of its own (faults.pg) in a temp directory, on a free port of 127.0.0.1; run
   `coordination init`, `coordination demo`, then `coordination serve --workers 3` as a subprocess with
   COORDINATION_FAULT_LOST_ACK_EVERY=N (every Nth save commits, then the connection "drops" before the
   acknowledgement) and COORDINATION_REQUIRE_2FA=off.
2. Load for --seconds: 26 liaison clients (one per unit) acknowledge their tasks and report progress,
   the office urges; every command has its own Idempotency-Key and a unique marker in its text.
3. Faults, spread over the run: kill -9 a gunicorn web worker; kill -9 the projection worker;
   pg_terminate_backend every backend of the database; stop PostgreSQL for --outage seconds and start it.
4. Wait (bounded) for /readyz, then prove and print PASS/FAIL for each property:
   1. every acknowledged command is in the log exactly once (audit API; and, as 1b, in the event store);
   2. no 5xx other than 503, no request hung longer than 15 s;
   3. the service recovered by itself (healthz, readyz, a fresh command, a new projection worker that
      brings the views up to the log);
   4. every view equals a fresh rebuild (`coordination rebuild` with the service stopped).
Exit 0 when every property holds, 1 otherwise, 2 when the harness itself could not run.
Everything is bounded by --overall-timeout; serve and PostgreSQL are stopped on every exit path.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg

from faults import proof
from faults.client import Attempt, Command, Http, Session, describe_error
from faults.pg import Postgres, free_port

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "lucheng-2026"
OPEN = ("assigned", "in_progress", "completion_requested")
VIEW_TABLES_FALLBACK = ("audit_events", "audit_task_units", "task_versions", "tasks_now", "meetings", "resolutions")


class HarnessError(Exception):
    """The harness itself could not do its job (not a property failure)."""


@dataclass
class Fault:
    at: float
    what: str
    detail: str = ""


def unit_codes() -> list[str]:
    from domain.charter import UNIT_CODES

    return list(UNIT_CODES)


def view_tables() -> list[str]:
    """The tables of every view the worker maintains (projections.worker.all_views), in order."""
    try:
        from projections.worker import all_views

        tables = [t for view in all_views(None) for t in view.tables]  # the views only keep the ledger
        if tables:
            return tables
    except Exception:  # noqa: BLE001 — a changed constructor: fall back to the known list
        pass
    return list(VIEW_TABLES_FALLBACK)


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.run_id = uuid.uuid4().hex[:6]
        self.tmp = Path(tempfile.mkdtemp(prefix="faults-"))
        self.tmp.chmod(0o755)
        self.pg = Postgres(self.tmp / "pg")
        self.port = free_port()
        self.http = Http(self.port, self.t0)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.commands: list[Command] = []
        self.reads: list[Command] = []  # GETs of the clients, for the 5xx and hang proof
        self.faults: list[Fault] = []
        self.monitor: list[tuple[float, str, str, float]] = []  # (t, path, status, seconds)
        self.serve: subprocess.Popen | None = None
        self.serve_log = None
        self.report: list[str] = []
        self.killed_projection_pid: int | None = None
        self.pg_started_at: float | None = None
        self.pg_stopped_at: float | None = None
        self.results: list[proof.Result] = []
        self._topics: dict[tuple, str] = {}
        self.figures: dict[str, Any] = {}
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("COORDINATION_", "POSTGRES_", "PG")) and k not in ("DATABASE_URL", "SECRET_KEY")}
        self.env.update({
            "DATABASE_URL": self.pg.url,
            "COORDINATION_DATA_DIR": str(self.tmp / "data"),
            "COORDINATION_REQUIRE_2FA": "off",
            "PYTHONUNBUFFERED": "1",
            "NO_COLOR": "1",
        })

    # --- output ---------------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, text: str = "", *, stamp: bool = True) -> None:
        line = f"[{self.now():6.1f}s] {text}" if stamp else text
        with self.lock:
            self.report.append(line)
            print(line, flush=True)

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

    # --- load -----------------------------------------------------------------------------------

    def record(self, cmd: Command) -> Command:
        with self.lock:
            self.commands.append(cmd)
        return cmd

    def record_read(self, read: Command) -> None:
        with self.lock:
            self.reads.append(read)

    def session(self, username: str, *, stop: threading.Event | None = None, give_up_after: float | None = None) -> Session:
        session = Session(self.http, username, PASSWORD, stop or self.stop,
                          give_up_after=give_up_after or self.args.give_up)
        session.on_read = self.record_read
        return session

    def pause(self, low: float, high: float) -> None:
        self.stop.wait(random.uniform(low, high))

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
                self.say(f"client {name} stopped: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=body, name=name, daemon=True)
        thread.start()
        return thread

    def watch(self) -> None:
        """Poll /healthz and /readyz twice a second for the whole run (recovery times, healthz latency)."""
        while not self.stop.is_set() or not getattr(self, "monitor_done", False):
            for path in ("/healthz", "/readyz"):
                started = self.now()
                t0 = time.monotonic()
                try:
                    status = str(self.http.request("GET", path, timeout=10).status)
                except OSError as exc:
                    status = describe_error(exc)
                with self.lock:
                    self.monitor.append((started, path, status, time.monotonic() - t0))
            time.sleep(0.5)
            if getattr(self, "monitor_done", False):
                return

    # --- setup ----------------------------------------------------------------------------------

    def setup(self) -> None:
        self.say(f"work directory {self.tmp}; PostgreSQL binaries {self.pg.bin}")
        self.pg.init()
        self.pg.start()
        self.pg.create_database()
        self.say(f"PostgreSQL on 127.0.0.1:{self.pg.port} (pid {self.pg.postmaster_pid()}), database ledger")
        self.say("coordination init: " + self.cli("init", timeout=180).strip().splitlines()[-1])
        self.say("coordination demo: " + self.cli("demo", timeout=300).strip().splitlines()[-1])
        self.start_serve()
        web, projection = self.tree()
        self.say(f"serve pid {self.serve.pid} on 127.0.0.1:{self.port}: web workers {[p.pid for p in web]}, "
                 f"projection worker {[p.pid for p in projection]}; "
                 f"COORDINATION_FAULT_LOST_ACK_EVERY={self.args.lost_ack_every or 'unset'}")
        # Every unit gets a task it leads and one it co-handles, so that all 26 liaisons have work.
        office = self.session("office")
        office.login()
        codes = unit_codes()
        for i, code in enumerate(codes):
            body = {"title": f"故障注入演练任务({code})", "description": "faults harness",
                    "source": {"kind": "plan", "reference": f"faults-{self.run_id}"}, "category": "other",
                    "lead_unit": code, "co_units": [codes[(i + 1) % len(codes)]], "deadline": "2027-06-30"}
            cmd = self.record(office.command("assign", "/api/v1/tasks", body))
            if not cmd.acknowledged:
                raise HarnessError(f"assigning a task to {code} failed: {cmd.statuses} {cmd.response}")
        self.say(f"assigned {len(codes)} drill tasks (one led by each unit)")

    # --- faults ---------------------------------------------------------------------------------

    def fault(self, what: str, detail: str = "") -> None:
        self.faults.append(Fault(self.now(), what, detail))
        self.say(f"FAULT {what} {detail}".rstrip())

    def kill_web_worker(self) -> None:
        web, _ = self.tree()
        if not web:
            self.fault("kill -9 web worker", "SKIPPED: no web worker found")
            return
        victim = random.choice(web)
        os.kill(victim.pid, signal.SIGKILL)
        self.fault("kill -9 web worker", f"pid {victim.pid}")

    def kill_projection_worker(self) -> None:
        _, projection = self.tree()
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

    def inject(self) -> None:
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
                if action is self.restart_database and self.pg.postmaster_pid() is None:
                    self.pg.start()
                    self.pg_started_at = self.now()
        end = start + self.args.seconds
        while self.now() < end:
            time.sleep(min(0.5, end - self.now()))

    # --- proofs ---------------------------------------------------------------------------------

    def wait_ready(self) -> float | None:
        deadline = time.monotonic() + self.args.recovery_timeout
        while time.monotonic() < deadline:
            try:
                if self.http.request("GET", "/readyz", timeout=5).status == 200:
                    return self.now()
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

    def wait_views(self) -> tuple[int, dict[str, int]]:
        """Wait until every view has reached the log head: at most --settle s, or 10 s without any progress."""
        deadline = time.monotonic() + self.args.settle
        last, moved = None, time.monotonic()
        while True:
            head, positions = self.head_and_positions()
            if positions and min(positions.values()) >= head:
                return head, positions
            if positions != last:
                last, moved = positions, time.monotonic()
            if time.monotonic() > deadline or time.monotonic() - moved > 10:
                return head, positions
            time.sleep(0.5)

    def read_log(self, session: Session) -> list[dict[str, Any]] | None:
        events: list[dict[str, Any]] = []
        after = 0
        while True:
            r = session.get(f"/api/v1/events?after={after}&limit=1000")
            if r is None or r.status != 200:
                self.say(f"reading the log failed at after={after}: {None if r is None else (r.status, r.body)}")
                return None
            page = r.body["events"]
            if not page:
                return events
            events += page
            after = r.body["next_after"]

    def store_counts(self) -> tuple[Any, int]:
        """Marker counts straight from the event store (the library's table), bypassing every view."""
        counts = []
        with self.db() as conn:
            table = self.events_table(conn)
            rows = conn.execute(
                f'SELECT topic, state FROM "{table}" WHERE topic LIKE %s OR topic LIKE %s',
                ("%Task.ProgressReported", "%Task.Urged"),
            ).fetchall()
        undecodable = 0
        for topic, state in rows:
            try:
                data = json.loads(bytes(state))
            except (ValueError, TypeError):
                undecodable += 1
                continue
            counts.append({"type": topic.rsplit(":", 1)[-1], "data": data})
        return proof.count_markers(counts), undecodable

    def backward_instants(self) -> list[str]:
        """Events of one aggregate whose instant goes back in time (read from the event store by SQL)."""
        from datetime import datetime

        def instant(value: Any) -> datetime | None:
            if isinstance(value, dict):  # the library's transcoded datetime
                value = value.get("_data_")
            try:
                return datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                return None

        with self.db() as conn:
            table = self.events_table(conn)
            rows = []
            for oid, version, position, topic, state in conn.execute(
                    f'SELECT originator_id, originator_version, notification_id, topic, state FROM "{table}"'
                    " ORDER BY originator_id, originator_version"):
                try:
                    data = json.loads(bytes(state))
                except (ValueError, TypeError):
                    continue
                rows.append((oid, version, position, instant(data.get("at")) or instant(data.get("timestamp"))))
                self._topics[(oid, version)] = topic
        found = proof.instants_going_backwards(rows)
        # Tasks first (task_versions keeps [valid_from, valid_to) ranges), then by log position.
        found.sort(key=lambda f: (not self._topics[(f[0], f[1])].rsplit(":", 1)[-1].startswith("Task."), f[2]))
        return [f"{self._topics[(oid, v)].rsplit(':', 1)[-1]} {oid} version {v} at position {pos}: "
                f"{at.isoformat()} is earlier than version {v - 1}'s {prev.isoformat()}"
                for oid, v, pos, at, prev in found]

    def recovery_proof(self, dukao: Session, office: Session) -> proof.Result:
        lines, ok = [], True
        for path in ("/healthz", "/readyz"):
            try:
                r = self.http.request("GET", path, timeout=10)
                status = str(r.status)
            except OSError as exc:
                status = type(exc).__name__
            lines.append(f"{path}: {status}")
            ok &= status == "200"
        r = office.get("/api/v1/tasks?status=in_progress")
        task = r.body[0]["id"] if r is not None and r.status == 200 and r.body else None
        probe = None
        if task:
            m = proof.marker(self.run_id, "probe", 1)
            probe = self.record(office.command("probe", f"/api/v1/tasks/{task}/urgings",
                                               {"message": f"[{m}] 恢复后的新指令(故障注入演练)"}, marker=m))
            lines.append(f"a fresh command after recovery: {probe.final} (attempts {probe.statuses})")
            ok &= probe.acknowledged
        else:
            lines.append("a fresh command after recovery: no task in progress to urge")
            ok = False
        web, projection = self.tree()
        alive = [p.pid for p in projection]
        new = [pid for pid in alive if pid != self.killed_projection_pid]
        lines.append(f"projection worker: killed pid {self.killed_projection_pid}, alive now {alive or 'none'}")
        ok &= bool(new)
        lines.append(f"web workers alive: {[p.pid for p in web]} (of --workers {self.args.workers})")
        if probe is not None and probe.acknowledged:
            seen = False
            deadline = time.monotonic() + min(30, self.args.settle)
            while time.monotonic() < deadline and not seen:
                r = dukao.get(f"/api/v1/events?after=0&limit=1000&type=Task.Urged&aggregate_id={task}")
                seen = r is not None and r.status == 200 and any(
                    proof.find_marker(e["data"].get("message")) == probe.marker for e in r.body["events"])
                if not seen:
                    time.sleep(1)
            lines.append(f"the fresh command reached the views (audit API): {'yes' if seen else 'NO'}")
            ok &= seen
        return proof.Result("3. the service recovered by itself", ok, lines)

    def snapshot(self, tables: list[str]) -> dict[str, list[tuple]]:
        snap: dict[str, list[tuple]] = {}
        with self.db() as conn:
            for table in tables:
                pk = [r[0] for r in conn.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                    " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary"
                    " ORDER BY array_position(i.indkey::int2[], a.attnum)", (table,)).fetchall()]
                order = ", ".join(f'"{c}"' for c in pk) or "1"
                rows = conn.execute(f'SELECT t::text FROM "{table}" t ORDER BY {order}, t::text').fetchall()
                snap[table] = [r for r in rows]
        return snap

    def prove(self) -> None:
        self.say("load stopped; waiting for /readyz (bounded)")
        ready_at = self.wait_ready()
        self.figures["readyz_after_load"] = None if ready_at is None else round(ready_at, 1)
        self.say("readyz: " + ("200" if ready_at else f"no 200 within {self.args.recovery_timeout:g} s"))

        proving = threading.Event()  # the load's clients stay stopped; these sessions run on their own event
        dukao = self.session("dukao", stop=proving, give_up_after=30)
        office = self.session("office", stop=proving, give_up_after=30)
        try:
            dukao.login(30)
            office.login(30)
        except RuntimeError as exc:
            self.say(f"cannot log in after the run: {exc}")

        recovery = self.recovery_proof(dukao, office)

        head, positions = self.wait_views()
        self.say(f"log head {head}; view positions {positions}")
        events = self.read_log(dukao) if dukao.token else None
        if events is None:
            self.results.append(proof.Result("1. every acknowledged command is in the log exactly once", False,
                                             ["the log could not be read through GET /api/v1/events"]))
        else:
            result = proof.exactly_once(self.commands, proof.count_markers(events), source="the log (GET /api/v1/events)")
            result.lines.insert(0, f"events read through the API: {len(events)} (log head {head}, "
                                   f"audit view at {positions.get('audit', '?')})")
            self.results.append(result)
        counts, undecodable = self.store_counts()
        store = proof.exactly_once(self.commands, counts, source="the event store (SQL)")
        store.name = "1b. " + store.name[3:]
        if undecodable:
            store.lines.append(f"{undecodable} stored events could not be decoded as JSON")
        self.results.append(store)
        health = []
        for t, path, status, seconds in self.monitor:
            probe = Command(client="monitor", kind="health", method="GET", path=path, body=None, key="", final=status)
            probe.attempts.append(Attempt(at=t, status=status, seconds=seconds))
            health.append(probe)
        errors = proof.clean_errors([*self.commands, *self.reads, *health], hang_seconds=self.args.hang)
        errors.lines.insert(0, f"over {len(self.commands)} commands, {len(self.reads)} reads of the clients and "
                               f"{len(health)} /healthz and /readyz polls")
        self.results.append(errors)
        self.results.append(recovery)

        tables = view_tables()
        self.say("stopping serve, then `coordination rebuild` (no worker runs beside the rebuild)")
        self.stop_serve()
        backwards = self.backward_instants()
        before = self.snapshot(tables)
        try:
            out = self.cli("rebuild", timeout=600)
        except (HarnessError, subprocess.TimeoutExpired) as exc:
            error = str(exc).strip().splitlines()
            result = proof.Result("4. every view equals a fresh rebuild", False,
                                  ["`coordination rebuild` failed:", *error[:2], *error[-3:]])
        else:
            self.say("rebuild: " + "; ".join(line for line in out.strip().splitlines() if line))
            result = proof.compare_snapshots(before, self.snapshot(tables))
        result.lines.append(f"events whose instant is earlier than their aggregate's previous event: {len(backwards)}")
        result.lines += [f"  {line}" for line in backwards[:5]]
        self.results.append(result)

    # --- summary --------------------------------------------------------------------------------

    def recovery_times(self) -> list[str]:
        if self.pg_started_at is None:
            return ["database restart: did not happen"]
        lines = []
        for path in ("/healthz", "/readyz"):
            first = next((t + d for t, p, s, d in self.monitor if p == path and t >= self.pg_started_at and s == "200"),
                         None)
            lines.append(f"{path} 200 again {first - self.pg_started_at:.1f} s after PostgreSQL started"
                         if first is not None else f"{path}: no 200 after PostgreSQL started")
        first_ack = min((a.at + a.seconds for c in self.commands for a in c.attempts
                         if a.at + a.seconds >= self.pg_started_at and a.status.startswith("2")), default=None)
        lines.append(f"first acknowledged command {first_ack - self.pg_started_at:.1f} s after PostgreSQL started"
                     if first_ack is not None else "no command acknowledged after PostgreSQL started")
        outage = [(s, d) for t, p, s, d in self.monitor
                  if p == "/healthz" and self.pg_stopped_at is not None and self.pg_stopped_at <= t <= self.pg_started_at]
        if outage:
            lines.append(f"/healthz during the outage: {sorted({s for s, _ in outage})}, "
                         f"slowest answer {max(d for _, d in outage):.1f} s (contract: 503 within 2 s)")
        return lines

    def serve_log_events(self) -> dict[str, int]:
        """How often each warning/error event appears in serve's JSON log (what the service noticed itself)."""
        counts: dict[str, int] = {}
        try:
            lines = (self.tmp / "serve.log").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return counts
        for line in lines:
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("level") in ("warning", "error", "critical") or entry.get("event") == "command.conflict_retry":
                name = str(entry.get("event", "?"))[:60]
                counts[name] = counts.get(name, 0) + 1
        return counts

    def summary(self) -> bool:
        s = proof.summarise(self.commands)
        kinds: dict[str, int] = {}
        for c in self.commands:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        self.say("", stamp=False)
        self.say("=" * 78, stamp=False)
        self.say(f"faults run {self.run_id}: {self.args.seconds:g} s of load, 26 liaisons + office, "
                 f"{self.args.workers} web workers", stamp=False)
        self.say(f"commands sent {s['commands']} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
                 f"acknowledged {s['acknowledged']}; unacknowledged {s['unacknowledged']}; "
                 f"refused 409 {s['refused_409']}, other {s['refused_other']}", stamp=False)
        self.say(f"retries {s['retries']}; 503 seen {s['seen_503']}; other 5xx seen {s['seen_other_5xx']}; "
                 f"no answer (connection error/timeout) {s['seen_no_answer']}", stamp=False)
        durations = sorted(a.seconds for c in self.commands for a in c.attempts)
        if durations:
            self.say(f"command attempts: median {durations[len(durations) // 2]:.2f} s, "
                     f"p95 {durations[int(len(durations) * 0.95)]:.2f} s, max {durations[-1]:.1f} s; "
                     f"reads by the clients {len(self.reads)}", stamp=False)
        self.say("faults injected:", stamp=False)
        for f in self.faults:
            self.say(f"  {f.at:7.1f} s  {f.what} {f.detail}", stamp=False)
        self.say(f"  (whole run)  lost acknowledgement after COMMIT: COORDINATION_FAULT_LOST_ACK_EVERY="
                 f"{self.args.lost_ack_every or 'unset'} in serve's environment", stamp=False)
        noted = self.serve_log_events()
        if noted:
            self.say("serve's log, warnings and errors by event: "
                     + ", ".join(f"{name}×{n}" for name, n in sorted(noted.items(), key=lambda kv: -kv[1])), stamp=False)
        self.say("recovery:", stamp=False)
        for line in self.recovery_times():
            self.say(f"  {line}", stamp=False)
        self.say("-" * 78, stamp=False)
        for result in self.results:
            self.say(result.render(), stamp=False)
        passed = bool(self.results) and all(r.passed for r in self.results)
        self.say("-" * 78, stamp=False)
        self.say(f"faults: {'PASS' if passed else 'FAIL'} "
                 f"({sum(r.passed for r in self.results)}/{len(self.results)} properties hold) in {self.now():.0f} s",
                 stamp=False)
        return passed

    # --- the whole run --------------------------------------------------------------------------

    def execute(self) -> int:
        try:
            self.setup()
            watcher = threading.Thread(target=self.watch, name="watch", daemon=True)
            watcher.start()
            clients = [self.guarded(code, self.liaison, code) for code in unit_codes()]
            clients.append(self.guarded("office", self.office))
            self.say(f"load: {len(clients)} clients for {self.args.seconds:g} s")
            self.inject()
            self.stop.set()
            self.say("stopping the clients (each finishes its command, bounded by --give-up)")
            deadline = time.monotonic() + self.args.give_up + 30
            for t in clients:
                t.join(timeout=max(0.1, deadline - time.monotonic()))
            stuck = [t.name for t in clients if t.is_alive()]
            if stuck:
                self.say(f"clients still running (ignored): {stuck}")
            self.monitor_done = True
            self.prove()
            passed = self.summary()
            return 0 if passed else 1
        except HarnessError as exc:
            self.say(f"HARNESS ERROR: {exc}")
            return 2
        except KeyboardInterrupt:
            self.say("interrupted (Ctrl-C or --overall-timeout)")
            return 2
        except Exception:  # noqa: BLE001
            self.say("HARNESS ERROR:\n" + traceback.format_exc())
            return 2
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        self.stop.set()
        self.monitor_done = True
        try:
            self.stop_serve()
        finally:
            self.pg.destroy()
        keep = REPO / "var" / "faults" / "last"
        try:
            if keep.exists():
                shutil.rmtree(keep)
            keep.mkdir(parents=True)
            for name in ("serve.log",):
                if (self.tmp / name).exists():
                    shutil.copy(self.tmp / name, keep / name)
            if self.pg.logfile.exists():
                shutil.copy(self.pg.logfile, keep / "postgres.log")
            with open(keep / "commands.jsonl", "w", encoding="utf-8") as f:
                for c in self.commands:
                    f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
            (keep / "report.txt").write_text("\n".join(self.report) + "\n", encoding="utf-8")
            print(f"logs, commands and this report: {keep}", flush=True)
        except OSError as exc:
            print(f"could not keep the logs: {exc}", flush=True)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="duration of the load (default 120)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn web workers of serve (default 3)")
    parser.add_argument("--lost-ack-every", type=int, default=50,
                        help="COORDINATION_FAULT_LOST_ACK_EVERY for serve (0: unset; default 50)")
    parser.add_argument("--outage", type=float, default=5, help="seconds PostgreSQL stays stopped (default 5)")
    parser.add_argument("--give-up", type=float, default=60, help="a client gives a command up after this (default 60)")
    parser.add_argument("--hang", type=float, default=15, help="an attempt longer than this is a hang (default 15)")
    parser.add_argument("--recovery-timeout", type=float, default=60, help="bound on waiting for /readyz (default 60)")
    parser.add_argument("--settle", type=float, default=60, help="bound on waiting for the views (default 60)")
    parser.add_argument("--overall-timeout", type=float, default=None,
                        help="hard bound on the whole run (default: --seconds + 600)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (database, logs)")
    args = parser.parse_args(argv)

    overall = args.overall_timeout or args.seconds + 600
    timer = threading.Timer(overall, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.daemon = True
    timer.start()
    def terminated(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    try:
        return Run(args).execute()
    finally:
        timer.cancel()


if __name__ == "__main__":
    sys.exit(main())
