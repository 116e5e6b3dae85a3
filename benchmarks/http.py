"""Commands and reads over HTTP against `serve` as `make run` starts it, with the library's bare append as baseline.

- `bare_append`: the eventsourcing library alone, one new aggregate (one event) saved per transaction,
  `threads` threads at once, into a schema of its own on the same PostgreSQL — what the database and the
  library allow, with nothing of ours on top.
- `http_commands`: `coordination init` + `coordination demo` into a fresh schema, `coordination serve` (gunicorn,
  the projection worker) on a free port, and one liaison per member unit (26) posting progress on a task of its
  unit as fast as answers come back, each with its own token and an Idempotency-Key per command.
- the same server: a unit board against a trivial JSON endpoint (`/livez`, no database), by throughput.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from coordination.storage import connect, eventsourcing_env
from domain.charter import UNIT_CODES

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "lucheng-2026"


@dataclass
class Load:
    """What a closed-loop load measured: completed operations, their rate and latencies."""

    done: int
    seconds: float
    latencies: list[float]
    failures: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[18] if len(self.latencies) > 20 else max(self.latencies)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)


def closed_loop(threads: int, seconds: float, setup, operation, warmup: float = 2.0) -> Load:
    """`threads` threads, each running `operation(state)` back to back; only what ends in the window counts."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures = [0] * threads
    window = [0.0, 0.0]  # when counting starts and stops, set once every thread is ready
    ready, go = threading.Barrier(threads + 1), threading.Event()

    def run(index: int) -> None:
        state = setup(index)
        ready.wait()
        go.wait()
        start_at, stop_at = window
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                return
            ok = operation(state)
            ended = time.perf_counter()
            if began >= start_at and ended <= stop_at:
                if ok:
                    latencies[index].append(ended - began)
                else:
                    failures[index] += 1

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    window[:] = [time.perf_counter() + warmup, time.perf_counter() + warmup + seconds]
    go.set()
    for worker in workers:
        worker.join()
    flat = [x for per in latencies for x in per]
    return Load(done=len(flat), seconds=seconds, latencies=flat or [0.0], failures=sum(failures))


class Dot(Aggregate):
    """The smallest aggregate: created, nothing else."""


def bare_append(url: str, threads: int, seconds: float) -> Load:
    """The library's single-event append: a new aggregate saved per transaction, `threads` at once."""
    schema = "bench_bare_" + uuid.uuid4().hex[:8]
    with connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    env = eventsourcing_env(url, schema=schema, create_table=True)
    env.update({"POSTGRES_POOL_SIZE": str(threads), "POSTGRES_MAX_OVERFLOW": "0"})
    app = Application(env)
    try:
        return closed_loop(threads, seconds, lambda i: None, lambda _: app.save(Dot()) or True)
    finally:
        app.close()
        with connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP connection to the server under test."""

    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):  # once more on a fresh connection when the server closed an idle one
            try:
                self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
        return 0, b""

    def sign_in(self, username: str) -> Client:
        status, body = self.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert status == 201, (status, body[:300])
        self.token = json.loads(body)["token"]
        return self


class Server:
    """`coordination init`, `coordination demo`, `coordination serve` in a fresh schema of the given database."""

    def __init__(self, url: str):
        self.schema = "bench_http_" + uuid.uuid4().hex[:8]
        self.url = url
        self.port = free_port()
        self.data = tempfile.TemporaryDirectory(prefix="bench-http-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COORDINATION_")}
        self.env.update({"DATABASE_URL": url, "COORDINATION_SCHEMA": self.schema, "COORDINATION_DATA_DIR": self.data.name,
                         "COORDINATION_REQUIRE_2FA": "off", "PYTHONUNBUFFERED": "1"})
        self.process: subprocess.Popen | None = None
        self.log = Path(self.data.name) / "serve.log"

    def __enter__(self) -> Server:
        for args in (["init"], ["demo", "--if-empty"]):
            subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], cwd=REPO, env=self.env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(self.port)],
                                        cwd=REPO, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log.read_text()[-2000:]}")
            if Client(self.port).call("GET", "/healthz")[0] == 200:
                return self
            time.sleep(0.3)
        raise RuntimeError("serve did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # serve stops gunicorn and its projection worker itself
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        with connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.data.cleanup()

    def tasks_for_each_unit(self) -> dict[str, str]:
        """One task led by each member unit, assigned by the office and acknowledged (progress may be posted)."""
        office = Client(self.port).sign_in("office")
        tasks = {}
        for unit in UNIT_CODES:
            status, body = office.call("POST", "/api/v1/tasks", {
                "title": f"压力测试任务({unit})", "source": {"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
                "category": "funding", "lead_unit": unit, "co_units": [], "deadline": str(date(2027, 6, 30))})
            assert status == 201, (status, body[:300])
            tasks[unit] = json.loads(body)["id"]
            liaison = Client(self.port).sign_in(f"{unit}-liaison")
            assert liaison.call("POST", f"/api/v1/tasks/{tasks[unit]}/acknowledgements")[0] == 201
        return tasks


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU time so far of serve's web processes, its projection worker, and every PostgreSQL backend."""
    import psutil

    spent = {"web": 0.0, "projection worker": 0.0, "postgres": 0.0}
    for p in psutil.Process(server.process.pid).children(recursive=True) + [psutil.Process(server.process.pid)]:
        try:
            kind = "projection worker" if "worker" in p.cmdline() else "web"
            spent[kind] += sum(p.cpu_times()[:2])
        except psutil.Error:
            pass
    with connect(server.url, autocommit=True) as conn:  # this server's postmaster and backends, no other's
        data = conn.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'").fetchone()[0]
    postmaster = psutil.Process(int((Path(data) / "postmaster.pid").read_text().split()[0]))
    for p in [postmaster, *postmaster.children()]:
        try:
            spent["postgres"] += sum(p.cpu_times()[:2])
        except psutil.Error:
            pass
    return spent


def http_commands(server: Server, tasks: dict[str, str], seconds: float) -> Load:
    """26 liaisons, one per unit, posting progress on their unit's task back to back."""
    units = list(tasks)

    def setup(index: int):
        unit = units[index % len(units)]
        return Client(server.port).sign_in(f"{unit}-liaison"), tasks[unit], [0]

    def progress(state) -> bool:
        client, task, count = state
        count[0] += 1
        status, _ = client.call("POST", f"/api/v1/tasks/{task}/progress",
                                {"percent": count[0] % 100, "text": f"第{count[0]}次进展"},
                                {"Idempotency-Key": uuid.uuid4().hex})
        return status == 201

    return closed_loop(len(units), seconds, setup, progress)


def http_reads(server: Server, threads: int, seconds: float) -> tuple[Load, Load]:
    """(trivial JSON endpoint, finance's board) by throughput, `threads` clients each."""
    trivial = closed_loop(threads, seconds, lambda i: Client(server.port),
                          lambda c: c.call("GET", "/livez")[0] == 200, warmup=1.0)
    board = closed_loop(threads, seconds, lambda i: Client(server.port).sign_in("finance-liaison"),
                        lambda c: c.call("GET", "/api/v1/units/finance/board")[0] == 200, warmup=1.0)
    return trivial, board


def main() -> None:
    import argparse

    from coordination.config import Settings
    from coordination.storage import database_url

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    report(database_url(Settings.from_env()), args.seconds)


def report(url: str, seconds: float = 15) -> list[tuple[str, float, float, bool]]:
    """Run the three measurements; print them; return (target, measured ratio, bound, passed) rows."""
    bare = bare_append(url, 26, seconds)
    print(f"{'bare library append, 26 threads (baseline)':<44} {bare.rate:>10,.0f} /s   p95 {bare.p95 * 1000:6.1f} ms")
    with Server(url) as server:
        tasks = server.tasks_for_each_unit()
        before = cpu_seconds(server)
        commands = http_commands(server, tasks, seconds)
        after = cpu_seconds(server)
        trivial, board = http_reads(server, 4, seconds / 2)
    print(f"{'HTTP progress, 26 liaisons':<44} {commands.rate:>10,.0f} /s   p95 {commands.p95 * 1000:6.1f} ms"
          f"   median {commands.median * 1000:.1f} ms, {commands.failures} failed")
    measured = commands.done * (seconds + 2.0) / seconds  # CPU is counted over the warm-up too
    per_command = {k: (after[k] - before[k]) / max(measured, 1) * 1000 for k in after}
    print(f"{'  CPU per command (ms)':<44} " + ", ".join(f"{k} {v:.1f}" for k, v in per_command.items()))
    print(f"{'GET /livez, 4 clients (baseline)':<44} {trivial.rate:>10,.0f} /s")
    print(f"{'GET finance board over HTTP, 4 clients':<44} {board.rate:>10,.0f} /s")
    return [("HTTP commands: throughput (× the bare append)", commands.rate / bare.rate, 0.6, commands.rate / bare.rate >= 0.6),
            ("HTTP commands: p95 (× the bare append's p95)", commands.p95 / bare.p95, 3.0, commands.p95 / bare.p95 <= 3.0),
            ("board over HTTP: throughput (× GET /livez)", board.rate / trivial.rate, 0.5, board.rate / trivial.rate >= 0.5)]


if __name__ == "__main__":
    main()
