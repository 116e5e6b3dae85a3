"""The audit index view and the projection worker, on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from coordination.storage import connect
from projections.audit import AuditIndex
from projections.tracking import catch_up, position_of
from projections.worker import ProjectionWorker, rebuild
from tests.integration.tables import differences, view_tables
from tests.conftest import FINANCE, OFFICE, SUPERVISOR

pytestmark = pytest.mark.db

AUDIT_TABLES = ("audit_events", "audit_task_units")


def some_history(ledger) -> str:
    task = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"}, category="other",
                              lead_unit="finance", co_units=["education"], deadline=date(2026, 6, 30)).result["id"]
    ledger.acknowledge(FINANCE, task)
    ledger.urge(SUPERVISOR, task, message="请加快")
    ledger.reassign(OFFICE, task, lead_unit="housing-construction", co_units=["finance"], reason="调整")
    return task


def rows(runtime):
    with connect(runtime.url, schema=runtime.schema) as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in AUDIT_TABLES]


def test_the_audit_index_holds_every_event_once_with_its_units(runtime):
    ledger = runtime.ledger
    task = some_history(ledger)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        assert catch_up(ledger, conn, AuditIndex()) == ledger.position()
        assert catch_up(ledger, conn, AuditIndex()) == 0, "an already processed position is not applied again"
        assert position_of(conn, "audit") == ledger.position()
        urged = conn.execute("SELECT actor_unit, units FROM audit_events WHERE type = 'Task.Urged'").fetchone()
        assert urged == ("supervision-office", ["education", "finance", "supervision-office"])
        count = conn.execute("SELECT count(*) FROM audit_events WHERE aggregate_id = %s", (task,)).fetchone()[0]
        assert count == 4


def test_two_workers_catching_up_at_once_apply_each_position_once(runtime):
    ledger = runtime.ledger
    for _ in range(5):
        some_history(ledger)
    results = []

    def work():
        with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
            results.append(catch_up(ledger, conn, AuditIndex()))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == ledger.position()
    events, _ = rows(runtime)
    assert [e[0] for e in events] == list(range(1, ledger.position() + 1))


def test_a_rebuild_equals_incremental_processing(runtime):
    ledger = runtime.ledger
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        some_history(ledger)
        catch_up(ledger, conn, AuditIndex())
        some_history(ledger)
        catch_up(ledger, conn, AuditIndex())
    incremental = rows(runtime)
    assert rebuild(ledger, runtime.url, runtime.schema, AuditIndex()) == ledger.position()
    assert rows(runtime) == incremental
    # Keeping one task's units in memory (a ten-year log holds over a million tasks) changes no row, even
    # when tasks' events interleave inside a batch.
    first, second = (ledger.assign_task(OFFICE, title=f"任务{i}", source={"kind": "plan", "reference": "方案"},
                                        category="other", lead_unit="finance", co_units=[co],
                                        deadline=date(2026, 6, 30)).result["id"] for i, co in ((1, "education"),
                                                                                                 (2, "housing-construction")))
    ledger.acknowledge(FINANCE, first)
    ledger.urge(SUPERVISOR, second, message="请加快")
    ledger.urge(SUPERVISOR, first, message="请加快")
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        catch_up(ledger, conn, AuditIndex())
    incremental = rows(runtime)
    assert rebuild(ledger, runtime.url, runtime.schema, AuditIndex(kept=1), batch_size=3) == ledger.position()
    assert rows(runtime) == incremental


def test_the_worker_keeps_up_after_its_listen_backend_is_terminated(runtime):
    ledger = runtime.ledger
    worker = ProjectionWorker(ledger, runtime.url, runtime.schema, poll_seconds=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        def caught_up() -> bool:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with connect(runtime.url, schema=runtime.schema) as conn:
                    if position_of(conn, "audit") == ledger.position():
                        return True
                time.sleep(0.05)
            return False

        some_history(ledger)
        assert caught_up()
        deadline = time.monotonic() + 10  # the listener opens once every view has caught up
        while worker.listener is None and time.monotonic() < deadline:
            time.sleep(0.05)
        with connect(runtime.url, autocommit=True) as admin:
            pid = worker.listener.info.backend_pid
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        some_history(ledger)
        assert caught_up(), "the worker polls when its LISTEN connection is gone"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_worker_command_stops_cleanly_on_sigterm(runtime, monkeypatch):
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": runtime.url, "COORDINATION_SCHEMA": runtime.schema}
    some_history(runtime.ledger)
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with connect(runtime.url, schema=runtime.schema) as conn:
                if position_of(conn, "audit") == runtime.ledger.position():
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "projection worker stopped" in out
    with connect(runtime.url, schema=runtime.schema) as conn:
        assert position_of(conn, "audit") == runtime.ledger.position()


def _tables(runtime) -> dict[str, list]:
    with connect(runtime.url, schema=runtime.schema) as conn:
        return view_tables(conn, runtime.ledger)


def test_a_worker_killed_mid_catch_up_resumes_to_the_same_tables(runtime, clock):
    import os
    import signal
    import subprocess
    import sys
    from datetime import datetime

    from entrypoints.demo import load_demo
    from projections.worker import all_views

    clock.set(datetime.fromisoformat("2026-11-22T09:00:00+08:00"))
    load_demo(runtime.ledger)
    head = runtime.ledger.position()
    env = {**os.environ, "DATABASE_URL": runtime.url, "COORDINATION_SCHEMA": runtime.schema,
           "COORDINATION_PROJECTION_BATCH": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and killed_at is None:
            with connect(runtime.url, schema=runtime.schema) as conn:
                reached = conn.execute("SELECT coalesce(max(position), 0) FROM projection_tracking").fetchone()[0]
            if 0 < reached < head:
                proc.send_signal(signal.SIGKILL)
                killed_at = reached
            time.sleep(0.005)
    finally:
        proc.kill()
        proc.wait()
    assert killed_at is not None, "the worker was killed in the middle of its catch-up"

    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        for view in all_views(runtime.ledger):
            catch_up(runtime.ledger, conn, view)
            assert position_of(conn, view.name) == head
    resumed = _tables(runtime)
    for view in all_views(runtime.ledger):
        rebuild(runtime.ledger, runtime.url, runtime.schema, view)
    diff = differences(resumed, _tables(runtime))
    assert not diff, diff


def test_the_rebuild_command_reports_progress_and_refuses_unknown_views(runtime, capsys, monkeypatch):
    from entrypoints import cli

    some_history(runtime.ledger)
    monkeypatch.setenv("DATABASE_URL", runtime.url)
    monkeypatch.setenv("COORDINATION_SCHEMA", runtime.schema)
    assert cli.main(["rebuild", "nonsense"]) == 2
    assert "unknown view" in capsys.readouterr().err
    assert cli.main(["rebuild"]) == 0
    out = capsys.readouterr()
    assert f"已重建 audit:{runtime.ledger.position()} 条事件" in out.out
    assert "重建 task_history" in out.err
    with connect(runtime.url, schema=runtime.schema) as conn:
        assert position_of(conn, "task_history") == runtime.ledger.position()


def test_a_reader_waits_for_its_own_write_and_gives_up_after_a_bound(runtime):
    from projections.tracking import wait_for

    ledger = runtime.ledger
    worker = ProjectionWorker(ledger, runtime.url, runtime.schema, poll_seconds=0.2)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        position = ledger.propose_topic(FINANCE, title="议题").position
        assert not wait_for(conn, position, timeout=0.3), "no worker running: the bounded wait gives up"
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        try:
            outcome = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"},
                                         category="other", lead_unit="finance", co_units=[],
                                         deadline=date(2026, 6, 30))
            assert wait_for(conn, outcome.position, timeout=10)
            assert conn.execute("SELECT count(*) FROM task_versions WHERE task_id = %s",
                                (outcome.result["id"],)).fetchone()[0] == 1
        finally:
            stop.set()
            thread.join(timeout=10)


def test_a_view_that_names_its_topics_passes_over_other_events_and_still_reaches_the_head(runtime, monkeypatch):
    """The registers view needs meetings and resolutions only: task events are skipped by PostgreSQL, never decoded."""
    from projections.eventlog import EventLog
    from projections.registers import Registers

    ledger = runtime.ledger
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        catch_up(ledger, conn, Registers(ledger))
        start = ledger.position()
        for _ in range(3):
            some_history(ledger)
        decoded = []
        to_domain_event = ledger.mapper.to_domain_event
        monkeypatch.setattr(ledger.mapper, "to_domain_event", lambda n: decoded.append(n.topic) or to_domain_event(n))
        assert catch_up(ledger, conn, Registers(ledger), batch_size=2) == ledger.position() - start
        assert position_of(conn, "registers") == ledger.position(), "at the head: a reader never waits for it"
        assert decoded == [], "no task event was decoded for the registers"
        events, reached = EventLog(ledger).read_topics(0, 1000, Registers.topics)
        assert reached == ledger.position()
        assert {e.aggregate_type for e in events} <= {"Meeting", "Resolution"}


def test_every_stored_event_of_a_named_aggregate_has_a_topic_its_views_ask_for(runtime, clock):
    """A renamed or new event class must not be skipped silently by a view that names its topics."""
    from entrypoints.demo import load_demo
    from projections.worker import all_views
    from datetime import datetime

    clock.set(datetime.fromisoformat("2026-11-22T09:00:00+08:00"))
    load_demo(runtime.ledger)
    for reason in ("国务院公布2027年节假日安排", "国务院调整2027年节假日安排"):  # recorded, then revised
        runtime.ledger.record_calendar(OFFICE, 2027, holidays=[date(2027, 1, 1)], workdays=[],
                                       reference="国办发明电〔2026〕X号", reason=reason)
    views = {view.name: view for view in all_views(runtime.ledger)}
    wanted = {"Task": views["task_history"].topics, "Meeting": views["registers"].topics,
              "Resolution": views["registers"].topics, "YearSchedule": views["calendar"].topics}
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        stored = conn.execute("SELECT DISTINCT topic FROM ledger_events").fetchall()
    kinds = {topic: topic.rsplit(":", 1)[1].split(".")[0] for (topic,) in stored}
    assert {"Task", "Meeting", "Resolution", "YearSchedule"} <= set(kinds.values())
    missing = [topic for topic, kind in kinds.items() if kind in wanted and topic not in wanted[kind]]
    assert missing == []
