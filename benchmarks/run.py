"""Read-side benchmarks: one command, ratios against baselines measured in the same run.

    .venv/bin/python -m benchmarks.run [--events 1000000] [--keep]

Builds a history of about `--events` events in a fresh schema (the generator in benchmarks/history.py),
then measures:
  - reading the log: a raw scan of the events table (baseline) vs the ledger decoding every event;
  - the hash chain: maintenance per event against a raw append of the same rows, and `verify`
    (recompute + compare with the chain table) in events/s against the raw scan;
  - rebuilding each view from scratch, in events/s, as a ratio of the raw scan;
  - latency of a current board, an as-of board and the H1 report, as a ratio of a baseline
    single-row primary-key lookup on the same connection.
Uses DATABASE_URL, or the embedded PostgreSQL under $COORDINATION_DATA_DIR (default ./var).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from datetime import datetime

from psycopg import sql

from coordination.bootstrap import initialise
from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect
from domain.deadlines import SHANGHAI
from domain.reports import Period
from projections import chain, queries
from projections.chain import HashChain
from projections.report import supervision_report
from projections.worker import all_views, rebuild
from benchmarks.history import generate
from projections.eventlog import EventLog


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of `repeat` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


READ_TARGETS = {"board, finance, now": 50, "board, finance, as of 2024-05-15": 75, "dashboard, now": 75,
                "supervision report 2026H1": 250}
"""Issue 14: each read at most this many times a primary-key lookup."""
REBUILD_TARGET = 0.5
"""Issue 14: every view rebuilt at least at half the raw scan rate of the events table."""


class PeakRss:
    """The largest resident set size of this process while the block runs (sampled every 50 ms)."""

    def __enter__(self) -> PeakRss:
        import psutil

        self.process, self.peak, self.done = psutil.Process(), 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.process.memory_info().rss)
            if self.done.wait(0.05):
                return

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()


def time_queries(conn, now: datetime) -> list[tuple[str, float, float, bool]]:
    any_task = conn.execute("SELECT task_id FROM task_versions LIMIT 1").fetchone()[0]
    baseline = timed(lambda: conn.execute("SELECT * FROM task_versions WHERE task_id = %s AND version = 1",
                                          (any_task,)).fetchone())
    rows = conn.execute("SELECT count(*) FROM tasks_now").fetchone()[0]
    print(f"\n{rows:,} tasks, {conn.execute('SELECT count(*) FROM task_versions').fetchone()[0]:,} task states")
    print(f"{'primary-key lookup (baseline)':<44} {baseline * 1000:>10.2f} ms        1×")
    as_of = datetime(2024, 5, 15, 12, tzinfo=SHANGHAI)
    targets = []
    for label, fn in [
        ("board, finance, now", lambda: queries.board(conn, "finance", now)),
        ("board, finance, as of 2024-05-15", lambda: queries.board(conn, "finance", now, as_of=as_of)),
        ("dashboard, now", lambda: queries.dashboard(conn, now)),
        ("supervision report 2026H1", lambda: supervision_report(conn, Period.parse("2026H1"), now)),
    ]:
        seconds = timed(fn, repeat=3)
        print(f"{label:<44} {seconds * 1000:>10.2f} ms  {seconds / baseline:>7,.0f}×")
        targets.append((f"{label} (× a primary-key lookup)", seconds / baseline, READ_TARGETS[label],
                        seconds / baseline <= READ_TARGETS[label]))
    return targets


def print_targets(targets: list[tuple[str, float, float, bool]]) -> None:
    """Issue 14's targets, each with its measured ratio, its bound and PASS/FAIL."""
    print(f"\n{'target':<56} {'ratio':>9} {'bound':>8}")
    for label, ratio, bound, passed in targets:
        sign = "≥" if bound < 1 else "≤"
        print(f"{label:<56} {ratio:>8.2f}× {sign}{bound:>6}×  {'PASS' if passed else 'FAIL'}")


def time_chain(conn, schema: str, raw_scan: float, written: float) -> None:
    """The ledger's tamper evidence: chaining each event vs a raw append of the same rows; verify vs a raw scan."""
    conn.execute("DELETE FROM ledger_chain")
    conn.execute("DELETE FROM projection_tracking WHERE name = 'ledger_chain'")
    conn.execute("CREATE TEMP TABLE raw_append (LIKE ledger_events)")
    total = conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0]
    # Baseline: append the same raw rows again, in the chain's batches, each batch its own transaction.
    start, after = time.perf_counter(), 0
    while True:
        with conn.transaction():
            rows = conn.execute("SELECT notification_id, originator_id, originator_version, topic, state"
                                " FROM ledger_events WHERE notification_id > %s ORDER BY notification_id LIMIT 500",
                                (after,)).fetchall()
            if not rows:
                break
            with conn.cursor() as cur, cur.copy("COPY raw_append (notification_id, originator_id, originator_version,"
                                                " topic, state) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            after = rows[-1][0]
    append = time.perf_counter() - start
    start = time.perf_counter()
    chained = HashChain().catch_up(conn)
    chaining = time.perf_counter() - start
    assert chained == total
    print(f"{'raw append of the rows (baseline)':<44} {total / append:>10,.0f} events/s   "
          f"{append / total * 1e6:>6.1f} µs/event")
    print(f"{'hash chain maintenance (SHA-256)':<44} {total / chaining:>10,.0f} events/s   "
          f"{chaining / total * 1e6:>6.1f} µs/event  {chaining / append:.2f}× the append, "
          f"{(chaining / total) * written:.2f}× a write through Ledger.save")
    start = time.perf_counter()
    verified = chain.verify(conn, None)
    rate = verified.events / (time.perf_counter() - start)
    print(f"{'coordination verify (recompute + compare)':<44} {rate:>10,.0f} events/s   {rate / raw_scan:.2f}× the raw scan")
    conn.execute("DROP TABLE raw_append")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema afterwards")
    parser.add_argument("--queries-only", metavar="SCHEMA", help="only time the queries on a kept schema")
    parser.add_argument("--http-seconds", type=float, default=15, help="each HTTP load's duration (0: skip HTTP)")
    args = parser.parse_args()

    schema = args.queries_only or "bench_" + uuid.uuid4().hex[:8]
    now = datetime(2026, 11, 22, 12, tzinfo=SHANGHAI)
    runtime = initialise(Settings.from_env(), schema=schema, clock=ManualClock(now))
    ledger = runtime.ledger
    conn = connect(runtime.url, schema=schema, autocommit=True)
    try:
        if args.queries_only:
            print_targets(time_queries(conn, now))
            return
        targets = []
        if args.http_seconds:
            from benchmarks import http

            print("commands and reads over HTTP (demo data, `coordination serve` as `make run` starts it):", flush=True)
            targets += http.report(runtime.url, args.http_seconds)
            print()
        print(f"schema {schema}: generating about {args.events:,} events …", flush=True)
        start = time.perf_counter()
        head = generate(ledger, args.events)
        spent = time.perf_counter() - start
        print(f"generated {head:,} events in {spent:.0f} s ({head / spent:,.0f} events/s through Ledger.save)\n")

        table = sql.Identifier(schema, "ledger_events")
        start = time.perf_counter()
        with conn.transaction(), conn.cursor(name="scan") as cur:
            cur.itersize = 10_000
            cur.execute(sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state"
                                " FROM {} ORDER BY notification_id").format(table))
            scanned = sum(1 for _ in cur)
        raw = scanned / (time.perf_counter() - start)
        print(f"{'raw scan of the events table (baseline)':<44} {raw:>10,.0f} events/s   1.00×")

        start = time.perf_counter()
        decoded = sum(1 for _ in EventLog(ledger).iter())
        rate = decoded / (time.perf_counter() - start)
        print(f"{'ledger read_log (decode to domain events)':<44} {rate:>10,.0f} events/s   {rate / raw:.2f}×")

        time_chain(conn, schema, raw, head / spent)

        for view in all_views(ledger):
            start = time.perf_counter()
            with PeakRss() as rss:
                applied = rebuild(ledger, runtime.url, schema, view)
            rate = applied / (time.perf_counter() - start)
            print(f"{'rebuild ' + view.name:<44} {rate:>10,.0f} events/s   {rate / raw:.2f}×"
                  f"   peak RSS {rss.peak / 2**20:,.0f} MiB", flush=True)
            targets.append((f"rebuild {view.name} (× the raw scan)", rate / raw, REBUILD_TARGET, rate / raw >= REBUILD_TARGET))

        targets += time_queries(conn, now)
        print_targets(targets)
    finally:
        conn.close()
        ledger.close()
        if not args.keep and not args.queries_only:
            with connect(runtime.url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    main()
