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
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import uuid
from pathlib import Path
from typing import Any

from faults import evidence, proof
from faults.client import Attempt, Command
from faults.inject import Injector
from faults.load import Load, unit_codes
from faults.report import Report, summary
from faults.service import REPO, HarnessError, Service


class Run:
    """One run, composed of its parts: report (clock and lines), service, load, injector.

    - faults.report   the clock, the timestamped lines, the closing summary
    - faults.service  PostgreSQL, serve, the CLI, serve's workers, the store's head and view positions
    - faults.load     the 27 clients and the health monitor, and all they recorded
    - faults.inject   the faults and their schedule
    - faults.evidence the log, the event store and the views read after the load; the recovery probe
    """

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.report = Report()
        self.run_id = uuid.uuid4().hex[:6]
        self.tmp = Path(tempfile.mkdtemp(prefix="faults-"))
        self.tmp.chmod(0o755)
        self.service = Service(args, self.tmp, self.report)
        self.load = Load(args, self.run_id, self.service, self.report)
        self.injector = Injector(args, self.service, self.load.stop, self.report)
        self.results: list[proof.Result] = []
        self.figures: dict[str, Any] = {}

    def say(self, text: str = "", *, stamp: bool = True) -> None:
        self.report.say(text, stamp=stamp)

    # --- the whole run --------------------------------------------------------------------------

    def execute(self) -> int:
        try:
            self.setup()
            self.load.start()
            self.injector.inject()
            self.load.finish()
            self.prove()
            passed = summary(self.report, self.args, self.run_id, self.load, self.injector, self.results,
                             self.tmp / "serve.log")
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

    # --- setup ----------------------------------------------------------------------------------

    def setup(self) -> None:
        service, pg = self.service, self.service.pg
        self.say(f"work directory {self.tmp}; PostgreSQL binaries {pg.bin}")
        pg.init()
        pg.start()
        pg.create_database()
        self.say(f"PostgreSQL on 127.0.0.1:{pg.port} (pid {pg.postmaster_pid()}), database ledger")
        self.say("coordination init: " + service.cli("init", timeout=180).strip().splitlines()[-1])
        self.say("coordination demo: " + service.cli("demo", timeout=300).strip().splitlines()[-1])
        service.start_serve()
        web, projection = service.tree()
        self.say(f"serve pid {service.serve.pid} on 127.0.0.1:{service.port}: web workers {[p.pid for p in web]}, "
                 f"projection worker {[p.pid for p in projection]}; "
                 f"COORDINATION_FAULT_LOST_ACK_EVERY={self.args.lost_ack_every or 'unset'}")
        # Every unit gets a task it leads and one it co-handles, so that all 26 liaisons have work.
        office = self.load.session("office")
        office.login()
        codes = unit_codes()
        for i, code in enumerate(codes):
            body = {"title": f"故障注入演练任务({code})", "description": "faults harness",
                    "source": {"kind": "plan", "reference": f"faults-{self.run_id}"}, "category": "other",
                    "lead_unit": code, "co_units": [codes[(i + 1) % len(codes)]], "deadline": "2027-06-30"}
            cmd = self.load.record(office.command("assign", "/api/v1/tasks", body))
            if not cmd.acknowledged:
                raise HarnessError(f"assigning a task to {code} failed: {cmd.statuses} {cmd.response}")
        self.say(f"assigned {len(codes)} drill tasks (one led by each unit)")

    # --- proofs ---------------------------------------------------------------------------------

    def prove(self) -> None:
        service, load = self.service, self.load
        self.say("load stopped; waiting for /readyz (bounded)")
        ready_at = service.wait_ready()
        self.figures["readyz_after_load"] = None if ready_at is None else round(ready_at, 1)
        self.say("readyz: " + ("200" if ready_at else f"no 200 within {self.args.recovery_timeout:g} s"))

        proving = threading.Event()  # the load's clients stay stopped; these sessions run on their own event
        dukao = load.session("dukao", stop=proving, give_up_after=30)
        office = load.session("office", stop=proving, give_up_after=30)
        try:
            dukao.login(30)
            office.login(30)
        except RuntimeError as exc:
            self.say(f"cannot log in after the run: {exc}")

        recovery = evidence.recovery_proof(service, load, self.injector, dukao, office, self.args)

        head, positions = evidence.wait_views(service, self.args.settle)
        self.say(f"log head {head}; view positions {positions}")
        events = evidence.read_log(dukao, self.say) if dukao.token else None
        if events is None:
            self.results.append(proof.Result("1. every acknowledged command is in the log exactly once", False,
                                             ["the log could not be read through GET /api/v1/events"]))
        else:
            result = proof.exactly_once(load.commands, proof.count_markers(events), source="the log (GET /api/v1/events)")
            result.lines.insert(0, f"events read through the API: {len(events)} (log head {head}, "
                                   f"audit view at {positions.get('audit', '?')})")
            self.results.append(result)
        counts, undecodable = evidence.store_counts(service)
        store = proof.exactly_once(load.commands, counts, source="the event store (SQL)")
        store.name = "1b. " + store.name[3:]
        if undecodable:
            store.lines.append(f"{undecodable} stored events could not be decoded as JSON")
        self.results.append(store)
        health = []
        for t, path, status, seconds in load.monitor:
            probe = Command(client="monitor", kind="health", method="GET", path=path, body=None, key="", final=status)
            probe.attempts.append(Attempt(at=t, status=status, seconds=seconds))
            health.append(probe)
        errors = proof.clean_errors([*load.commands, *load.reads, *health], hang_seconds=self.args.hang)
        errors.lines.insert(0, f"over {len(load.commands)} commands, {len(load.reads)} reads of the clients and "
                               f"{len(health)} /healthz and /readyz polls")
        self.results.append(errors)
        self.results.append(recovery)

        tables = evidence.view_tables()
        self.say("stopping serve, then `coordination rebuild` (no worker runs beside the rebuild)")
        service.stop_serve()
        backwards = evidence.backward_instants(service)
        before = evidence.snapshot(service, tables)
        try:
            out = service.cli("rebuild", timeout=600)
        except (HarnessError, subprocess.TimeoutExpired) as exc:
            error = str(exc).strip().splitlines()
            result = proof.Result("4. every view equals a fresh rebuild", False,
                                  ["`coordination rebuild` failed:", *error[:2], *error[-3:]])
        else:
            self.say("rebuild: " + "; ".join(line for line in out.strip().splitlines() if line))
            result = proof.compare_snapshots(before, evidence.snapshot(service, tables))
        result.lines.append(f"events whose instant is earlier than their aggregate's previous event: {len(backwards)}")
        result.lines += [f"  {line}" for line in backwards[:5]]
        self.results.append(result)

    # --- cleanup --------------------------------------------------------------------------------

    def cleanup(self) -> None:
        self.load.stop.set()
        self.load.monitor_done = True
        try:
            self.service.stop_serve()
        finally:
            self.service.pg.destroy()
        keep = REPO / "var" / "faults" / "last"
        try:
            if keep.exists():
                shutil.rmtree(keep)
            keep.mkdir(parents=True)
            for name in ("serve.log",):
                if (self.tmp / name).exists():
                    shutil.copy(self.tmp / name, keep / name)
            if self.service.pg.logfile.exists():
                shutil.copy(self.service.pg.logfile, keep / "postgres.log")
            with open(keep / "commands.jsonl", "w", encoding="utf-8") as f:
                for c in self.load.commands:
                    f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
            (keep / "report.txt").write_text("\n".join(self.report.lines) + "\n", encoding="utf-8")
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
