"""The evidence the proofs are computed from, gathered after the load from outside the service.

The log read page by page through GET /api/v1/events; the event store read by SQL, bypassing every
view (marker counts, instants that go back within an aggregate); the views' positions against the log
head; a snapshot of every view's table (to compare with a fresh rebuild); and the recovery probe:
health, a fresh command, a new projection worker that brings the fresh command to the views.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faults import proof
from faults.client import Session
from faults.service import Service

if TYPE_CHECKING:
    from faults.inject import Injector
    from faults.load import Load

VIEW_TABLES_FALLBACK = ("audit_events", "audit_task_units", "task_versions", "tasks_now", "meetings", "resolutions")


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


def wait_views(service: Service, settle: float) -> tuple[int, dict[str, int]]:
    """Wait until every view has reached the log head: at most --settle s, or 10 s without any progress."""
    deadline = time.monotonic() + settle
    last, moved = None, time.monotonic()
    while True:
        head, positions = service.head_and_positions()
        if positions and min(positions.values()) >= head:
            return head, positions
        if positions != last:
            last, moved = positions, time.monotonic()
        if time.monotonic() > deadline or time.monotonic() - moved > 10:
            return head, positions
        time.sleep(0.5)


def read_log(session: Session, say: Callable[[str], None]) -> list[dict[str, Any]] | None:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        r = session.get(f"/api/v1/events?after={after}&limit=1000")
        if r is None or r.status != 200:
            say(f"reading the log failed at after={after}: {None if r is None else (r.status, r.body)}")
            return None
        page = r.body["events"]
        if not page:
            return events
        events += page
        after = r.body["next_after"]


def store_counts(service: Service) -> tuple[Any, int]:
    """Marker counts straight from the event store (the library's table), bypassing every view."""
    counts = []
    with service.db() as conn:
        table = service.events_table(conn)
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


def backward_instants(service: Service) -> list[str]:
    """Events of one aggregate whose instant goes back in time (read from the event store by SQL)."""
    from datetime import datetime

    def instant(value: Any) -> datetime | None:
        if isinstance(value, dict):  # the library's transcoded datetime
            value = value.get("_data_")
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    topics: dict[tuple, str] = {}
    with service.db() as conn:
        table = service.events_table(conn)
        rows = []
        for oid, version, position, topic, state in conn.execute(
                f'SELECT originator_id, originator_version, notification_id, topic, state FROM "{table}"'
                " ORDER BY originator_id, originator_version"):
            try:
                data = json.loads(bytes(state))
            except (ValueError, TypeError):
                continue
            rows.append((oid, version, position, instant(data.get("at")) or instant(data.get("timestamp"))))
            topics[(oid, version)] = topic
    found = proof.instants_going_backwards(rows)
    # Tasks first (task_versions keeps [valid_from, valid_to) ranges), then by log position.
    found.sort(key=lambda f: (not topics[(f[0], f[1])].rsplit(":", 1)[-1].startswith("Task."), f[2]))
    return [f"{topics[(oid, v)].rsplit(':', 1)[-1]} {oid} version {v} at position {pos}: "
            f"{at.isoformat()} is earlier than version {v - 1}'s {prev.isoformat()}"
            for oid, v, pos, at, prev in found]


def snapshot(service: Service, tables: list[str]) -> dict[str, list[tuple]]:
    snap: dict[str, list[tuple]] = {}
    with service.db() as conn:
        for table in tables:
            pk = [r[0] for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey::int2[], a.attnum)", (table,)).fetchall()]
            order = ", ".join(f'"{c}"' for c in pk) or "1"
            rows = conn.execute(f'SELECT t::text FROM "{table}" t ORDER BY {order}, t::text').fetchall()
            snap[table] = [r for r in rows]
    return snap


def recovery_proof(service: Service, load: Load, injector: Injector, dukao: Session, office: Session,
                   args: argparse.Namespace) -> proof.Result:
    """Property 3: health answers, a fresh command is acknowledged and reaches the views, a new worker runs."""
    lines, ok = [], True
    for path in ("/healthz", "/readyz"):
        try:
            r = service.http.request("GET", path, timeout=10)
            status = str(r.status)
        except OSError as exc:
            status = type(exc).__name__
        lines.append(f"{path}: {status}")
        ok &= status == "200"
    r = office.get("/api/v1/tasks?status=in_progress")
    task = r.body[0]["id"] if r is not None and r.status == 200 and r.body else None
    probe = None
    if task:
        m = proof.marker(load.run_id, "probe", 1)
        probe = load.record(office.command("probe", f"/api/v1/tasks/{task}/urgings",
                                           {"message": f"[{m}] 恢复后的新指令(故障注入演练)"}, marker=m))
        lines.append(f"a fresh command after recovery: {probe.final} (attempts {probe.statuses})")
        ok &= probe.acknowledged
    else:
        lines.append("a fresh command after recovery: no task in progress to urge")
        ok = False
    web, projection = service.tree()
    alive = [p.pid for p in projection]
    new = [pid for pid in alive if pid != injector.killed_projection_pid]
    lines.append(f"projection worker: killed pid {injector.killed_projection_pid}, alive now {alive or 'none'}")
    ok &= bool(new)
    lines.append(f"web workers alive: {[p.pid for p in web]} (of --workers {args.workers})")
    if probe is not None and probe.acknowledged:
        seen = False
        deadline = time.monotonic() + min(30, args.settle)
        while time.monotonic() < deadline and not seen:
            r = dukao.get(f"/api/v1/events?after=0&limit=1000&type=Task.Urged&aggregate_id={task}")
            seen = r is not None and r.status == 200 and any(
                proof.find_marker(e["data"].get("message")) == probe.marker for e in r.body["events"])
            if not seen:
                time.sleep(1)
        lines.append(f"the fresh command reached the views (audit API): {'yes' if seen else 'NO'}")
        ok &= seen
    return proof.Result("3. the service recovered by itself", ok, lines)
