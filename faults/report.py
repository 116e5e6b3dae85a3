"""The run's report: timestamped lines as the run goes, and the closing summary with the verdict.

`Report` is the run's clock (seconds since the run started) and its voice: every line is printed and kept
for var/faults/last/report.txt. `summary` prints the figures of the load, the faults injected, what
serve's own log noticed, the recovery times and each property's result, and returns whether all hold.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from faults import proof
from faults.client import Command

if TYPE_CHECKING:
    from faults.inject import Injector
    from faults.load import Load


class Report:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.lines: list[str] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, text: str = "", *, stamp: bool = True) -> None:
        line = f"[{self.now():6.1f}s] {text}" if stamp else text
        with self.lock:
            self.lines.append(line)
            print(line, flush=True)


def recovery_times(monitor: list[tuple[float, str, str, float]], commands: list[Command],
                   pg_stopped_at: float | None, pg_started_at: float | None) -> list[str]:
    """How long after PostgreSQL came back /healthz, /readyz and the first command answered again."""
    if pg_started_at is None:
        return ["database restart: did not happen"]
    lines = []
    for path in ("/healthz", "/readyz"):
        first = next((t + d for t, p, s, d in monitor if p == path and t >= pg_started_at and s == "200"),
                     None)
        lines.append(f"{path} 200 again {first - pg_started_at:.1f} s after PostgreSQL started"
                     if first is not None else f"{path}: no 200 after PostgreSQL started")
    first_ack = min((a.at + a.seconds for c in commands for a in c.attempts
                     if a.at + a.seconds >= pg_started_at and a.status.startswith("2")), default=None)
    lines.append(f"first acknowledged command {first_ack - pg_started_at:.1f} s after PostgreSQL started"
                 if first_ack is not None else "no command acknowledged after PostgreSQL started")
    outage = [(s, d) for t, p, s, d in monitor
              if p == "/healthz" and pg_stopped_at is not None and pg_stopped_at <= t <= pg_started_at]
    if outage:
        lines.append(f"/healthz during the outage: {sorted({s for s, _ in outage})}, "
                     f"slowest answer {max(d for _, d in outage):.1f} s (contract: 503 within 2 s)")
    return lines


def serve_log_events(path: Path) -> dict[str, int]:
    """How often each warning/error event appears in serve's JSON log (what the service noticed itself)."""
    counts: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
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


def summary(report: Report, args: argparse.Namespace, run_id: str, load: Load, injector: Injector,
            results: list[proof.Result], serve_log: Path) -> bool:
    """Print the closing summary; True when every property holds."""
    say = report.say
    s = proof.summarise(load.commands)
    kinds: dict[str, int] = {}
    for c in load.commands:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    say("", stamp=False)
    say("=" * 78, stamp=False)
    say(f"faults run {run_id}: {args.seconds:g} s of load, 26 liaisons + office, "
        f"{args.workers} web workers", stamp=False)
    say(f"commands sent {s['commands']} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
        f"acknowledged {s['acknowledged']}; unacknowledged {s['unacknowledged']}; "
        f"refused 409 {s['refused_409']}, other {s['refused_other']}", stamp=False)
    say(f"retries {s['retries']}; 503 seen {s['seen_503']}; other 5xx seen {s['seen_other_5xx']}; "
        f"no answer (connection error/timeout) {s['seen_no_answer']}", stamp=False)
    durations = sorted(a.seconds for c in load.commands for a in c.attempts)
    if durations:
        say(f"command attempts: median {durations[len(durations) // 2]:.2f} s, "
            f"p95 {durations[int(len(durations) * 0.95)]:.2f} s, max {durations[-1]:.1f} s; "
            f"reads by the clients {len(load.reads)}", stamp=False)
    say("faults injected:", stamp=False)
    for f in injector.faults:
        say(f"  {f.at:7.1f} s  {f.what} {f.detail}", stamp=False)
    say(f"  (whole run)  lost acknowledgement after COMMIT: COORDINATION_FAULT_LOST_ACK_EVERY="
        f"{args.lost_ack_every or 'unset'} in serve's environment", stamp=False)
    noted = serve_log_events(serve_log)
    if noted:
        say("serve's log, warnings and errors by event: "
            + ", ".join(f"{name}×{n}" for name, n in sorted(noted.items(), key=lambda kv: -kv[1])), stamp=False)
    say("recovery:", stamp=False)
    for line in recovery_times(load.monitor, load.commands, injector.pg_stopped_at, injector.pg_started_at):
        say(f"  {line}", stamp=False)
    say("-" * 78, stamp=False)
    for result in results:
        say(result.render(), stamp=False)
    passed = bool(results) and all(r.passed for r in results)
    say("-" * 78, stamp=False)
    say(f"faults: {'PASS' if passed else 'FAIL'} "
        f"({sum(r.passed for r in results)}/{len(results)} properties hold) in {report.now():.0f} s",
        stamp=False)
    return passed
