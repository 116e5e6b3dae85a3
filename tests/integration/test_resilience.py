"""Hardening (issue 7): no event stops a view for good, no fault loses or doubles a command.

Each test reproduces a finding of the issue against the ledger and the views, and shows it fixed.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

import pytest
from eventsourcing.persistence import OperationalError

from coordination.bootstrap import open_ledger
from coordination.errors import OutcomeUnknown
from coordination.recorder import FAULT_VARIABLE
from coordination.storage import connect
from domain import values
from domain.errors import InvalidValue
from projections import queries, registers
from projections.audit import AuditIndex
from projections.eventlog import EventLog
from projections.report import supervision_report
from domain.reports import Period
from projections.tracking import ALL_VIEWS, ViewStalled, catch_up, position_of
from projections.worker import ProjectionWorker, all_views, rebuild
from tests.conftest import FINANCE, OFFICE

pytestmark = pytest.mark.db


def new_task(ledger, **overrides) -> str:
    fields = {"title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
              "lead_unit": "finance", "co_units": [], "deadline": date(2026, 6, 30)} | overrides
    return ledger.assign_task(OFFICE, **fields).result["id"]


def catch_up_all(runtime) -> None:
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        for view in all_views(runtime.ledger):
            catch_up(runtime.ledger, conn, view)
            assert position_of(conn, view.name) == runtime.ledger.position(), view.name


@pytest.fixture
def before_todays_rule(monkeypatch):
    """Write as an older release (or another tool) could have: no text rule, no date window."""
    monkeypatch.setattr(values, "text_problem", lambda value: None)
    monkeypatch.setattr(values, "latest_date", lambda today: date.max)


# --- finding 1 and 2: strange values can no longer enter, and the ones already in the log are stored ------


def test_the_domain_refuses_nul_lone_surrogates_and_control_characters_naming_the_field(ledger):
    task = new_task(ledger)
    ledger.acknowledge(FINANCE, task)
    before = ledger.position()
    for text in ("a\x00b", "a\ud800b", "bell\x07", "esc\x1b[31m"):
        with pytest.raises(InvalidValue) as refused:
            ledger.report_progress(FINANCE, task, percent=1, text=text)
        assert refused.value.errors == {"text": [refused.value.errors["text"][0]]}
    with pytest.raises(InvalidValue, match="name"):
        ledger.change_liaison(OFFICE, "finance", name="张\x00三", title="科长", reason="调整")
    assert ledger.position() == before, "nothing was recorded"
    ledger.report_progress(FINANCE, task, percent=1, text="第一行\n\t第二行")  # newline and tab are text


def test_deadlines_lie_at_most_ten_years_ahead(ledger):
    with pytest.raises(InvalidValue, match="deadline"):
        new_task(ledger, deadline=date(9999, 12, 31))
    task = new_task(ledger, deadline=date(2036, 1, 1))
    ledger.acknowledge(FINANCE, task)
    with pytest.raises(InvalidValue, match="new_deadline"):
        ledger.request_extension(FINANCE, task, new_deadline=date(9999, 12, 31), reason="延期")


def test_events_written_before_todays_rule_are_stored_by_every_view(runtime, before_todays_rule):
    ledger = runtime.ledger
    task = new_task(ledger, title="标题\x00含空字符", deadline=date(9999, 12, 30))
    ledger.acknowledge(FINANCE, task)
    ledger.report_progress(FINANCE, task, percent=5, text="a\x00b\x00c")  # (a lone surrogate never got stored)
    ledger.propose_topic(FINANCE, title="议题", background="背景\x00")
    ledger.change_liaison(OFFICE, "finance", name="张\x00三", title="科长", reason="调整")
    ledger.request_extension(FINANCE, task, new_deadline=date(9999, 12, 31), reason="延期")
    ledger.decide_extension(OFFICE, task, 1, approved=True, comment="同意")

    catch_up_all(runtime)  # the audit view's jsonb once refused NUL and stopped every view for ever
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        text = conn.execute("SELECT data->>'text' FROM audit_events WHERE type = 'Task.ProgressReported'").fetchone()
        assert text == ("a\ufffdb\ufffdc",)
        now = datetime.fromisoformat("2026-03-03T09:00:00+08:00")
        board = queries.board(conn, "finance", now)
        assert board["tasks"][0]["effective_deadline"] == "9999-12-31" and board["tasks"][0]["light"] == "green"
        queries.dashboard(conn, now)
        queries.tasks(conn, now)
        supervision_report(conn, Period.parse("2026H1"), now)
        for view in all_views(ledger):  # and a rebuild gets through them too
            assert rebuild(ledger, runtime.url, runtime.schema, view) == ledger.position()


# --- a view that still fails stops loudly, and a failed rebuild leaves the old tables serving ------------------


class Breaks(AuditIndex):
    """The audit view, but failing on every urging (a stand-in for a bug in a view)."""

    def apply_batch(self, conn, events):
        if any(e.type == "Task.Urged" for e in events):
            raise RuntimeError("a bug in the view")
        super().apply_batch(conn, events)


def test_a_failing_view_is_named_with_its_position_and_the_other_views_go_on(runtime):
    ledger = runtime.ledger
    task = new_task(ledger)
    urged_at = ledger.urge(OFFICE, task, message="请加快").position
    ledger.acknowledge(FINANCE, task)
    broken = Breaks()
    views = [broken, *all_views(ledger)[1:]]
    worker = ProjectionWorker(ledger, runtime.url, runtime.schema, views=views, poll_seconds=0.05)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        worker.catch_up_all(conn)
        error, error_position, position = conn.execute(
            "SELECT error, error_position, position FROM projection_tracking WHERE name = 'audit'").fetchone()
        assert error_position == urged_at and "a bug in the view" in error
        assert position == urged_at - 1, "every event before the failing one was applied"
        assert position_of(conn, "task_history") == ledger.position(), "the other views went on"
        assert position_of(conn, "registers") == ledger.position()

        worker.views[0] = AuditIndex()  # the bug is fixed (a new release): the view resumes after its back-off
        worker.retry_at["audit"] = 0
        worker.catch_up_all(conn)
        assert conn.execute("SELECT position, error FROM projection_tracking WHERE name = 'audit'").fetchone() == (
            ledger.position(), None)


def test_a_failed_rebuild_leaves_the_old_view_serving(runtime):
    ledger = runtime.ledger
    new_task(ledger)
    task = new_task(ledger, title="第二项")
    ledger.urge(OFFICE, task, message="请加快")
    catch_up_all(runtime)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        before = conn.execute("SELECT * FROM audit_events ORDER BY position").fetchall()
        with pytest.raises(ViewStalled, match="a bug in the view"):
            rebuild(ledger, runtime.url, runtime.schema, Breaks(), batch_size=1)
        assert conn.execute("SELECT * FROM audit_events ORDER BY position").fetchall() == before
        assert position_of(conn, "audit") == ledger.position()
        assert rebuild(ledger, runtime.url, runtime.schema, AuditIndex()) == ledger.position()
        assert conn.execute("SELECT * FROM audit_events ORDER BY position").fetchall() == before
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_events'"
                                              " AND schemaname = current_schema()")}
        assert {"audit_events_aggregate", "audit_events_type", "audit_events_units"} <= indexes, indexes


# --- finding 3: the worker outlives any database outage ---------------------------------------------------------


def test_the_worker_outlives_a_database_it_cannot_reach_and_catches_up_when_it_returns(runtime):
    ledger = runtime.ledger
    new_task(ledger)
    worker = ProjectionWorker(ledger, "postgresql://postgres@127.0.0.1:1/nowhere", runtime.schema, poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(2.5)  # longer than the outage that used to kill it
    assert thread.is_alive(), "the worker exited on a connection error"
    worker.url = runtime.url  # the database is back
    deadline = time.monotonic() + 15
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        while min(position_of(conn, name) for name in ALL_VIEWS) < ledger.position():
            assert time.monotonic() < deadline, "the worker did not catch up after the database came back"
            time.sleep(0.1)
    stop.set()
    thread.join(timeout=10)


# --- finding 4: a lost acknowledgement never records a command twice ---------------------------------------------


def test_a_command_whose_acknowledgement_was_lost_is_recorded_once(runtime, monkeypatch):
    task = new_task(runtime.ledger)
    runtime.ledger.acknowledge(FINANCE, task)
    monkeypatch.setenv(FAULT_VARIABLE, "1")  # every command: COMMIT succeeds, then the connection "drops"
    ledger = open_ledger(runtime.settings, schema=runtime.schema, clock=runtime.ledger.clock).ledger
    try:
        outcome = ledger.report_progress(FINANCE, task, percent=30, text="已完成初稿")
        assert outcome.replayed and outcome.result["status"] == "in_progress"
        keyed = ledger.report_progress(FINANCE, task, percent=40, text="已征求意见", idempotency_key="k-1")
        assert keyed.replayed
    finally:
        ledger.close()
    texts = [e.data["text"] for e in EventLog(runtime.ledger).history(task) if e.type == "Task.ProgressReported"]
    assert texts == ["已完成初稿", "已征求意见"], "each command exactly once"


def test_a_command_whose_fate_cannot_be_known_says_so(runtime, monkeypatch):
    ledger = runtime.ledger
    task = new_task(ledger)

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ledger.recorder, "insert_events", down)
    monkeypatch.setattr(ledger.recorder, "find_command", down)
    with pytest.raises(OutcomeUnknown, match="Idempotency-Key"):
        ledger.acknowledge(FINANCE, task)


# --- finding 6: meetings and resolutions travel in time too ---------------------------------------------------


def test_meetings_and_resolutions_as_of_an_earlier_instant(runtime, clock):
    from datetime import timedelta

    ledger = runtime.ledger
    meeting = ledger.schedule_meeting(OFFICE, kind="office", title="办公室会议", date=date(2026, 3, 2),
                                      location="会议室", chair="主任").result["id"]
    scheduled_at = clock.now()
    clock.advance(timedelta(hours=1))
    ledger.record_attendance(OFFICE, meeting, present=["finance"], absent=[])
    ledger.draft_minutes(OFFICE, meeting, number="纪要1", summary="纪要", items=[
        {"title": "事项", "text": "内容", "category": "other", "outcome": "agreed"}])
    clock.advance(timedelta(hours=1))
    ledger.issue_minutes(OFFICE, meeting)
    catch_up_all(runtime)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        then = registers.meeting(conn, meeting, as_of=scheduled_at)
        assert then["status"] == "scheduled" and then["resolutions"] == []
        assert registers.meeting(conn, meeting)["status"] == "minutes_issued"
        assert [m["status"] for m in registers.meetings(conn, as_of=scheduled_at + timedelta(minutes=90))] == [
            "minutes_drafted"]
        assert registers.meetings(conn, as_of=scheduled_at - timedelta(seconds=1)) == []
        assert registers.resolutions(conn, as_of=scheduled_at) == []
        assert len(registers.resolutions(conn)) == 1


# --- found by `make faults`: instants never go back within an aggregate, and a view never stalls if they did ----


class RacingClock:
    """Reading this clock lets another writer change the task first, with a later instant (a race)."""

    def __init__(self, runtime, task, then, later, race):
        self.runtime, self.task, self.then, self.later, self.race = runtime, task, then, later, race
        self.reads = 0

    def now(self):
        self.reads += 1
        if self.reads == 1:
            self.race()
            return self.then
        return self.later


def test_an_instant_read_before_another_writers_change_is_taken_again(runtime):
    from datetime import timedelta

    task = new_task(runtime.ledger)
    runtime.ledger.acknowledge(FINANCE, task)
    start = runtime.ledger.clock.now()
    other = open_ledger(runtime.settings, schema=runtime.schema, clock=type(runtime.ledger.clock)(
        start + timedelta(hours=1))).ledger
    racing = RacingClock(runtime, task, start + timedelta(minutes=1), start + timedelta(hours=2),
                         lambda: other.urge(OFFICE, task, message="请加快"))
    mine = open_ledger(runtime.settings, schema=runtime.schema, clock=racing).ledger
    try:
        mine.report_progress(FINANCE, task, percent=20, text="进展")
    finally:
        other.close()
        mine.close()
    instants = [e.at for e in EventLog(runtime.ledger).history(task)]
    assert instants == sorted(instants), "an event's instant is never before its aggregate's previous one"
    assert racing.reads >= 2, "the command ran again with a fresh instant"


def test_a_view_stores_instants_recorded_out_of_order(runtime):
    """Two processes whose clocks disagree can still write a later version with an earlier instant."""
    from datetime import timedelta

    task = new_task(runtime.ledger)
    runtime.ledger.acknowledge(FINANCE, task)
    ahead = open_ledger(runtime.settings, schema=runtime.schema, clock=type(runtime.ledger.clock)(
        runtime.ledger.clock.now() + timedelta(hours=1))).ledger
    try:
        ahead.urge(OFFICE, task, message="请加快")
    finally:
        ahead.close()
    runtime.ledger.report_progress(FINANCE, task, percent=20, text="进展")  # an hour "before" the urging
    catch_up_all(runtime)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        board = queries.board(conn, "finance", runtime.ledger.clock.now() + timedelta(hours=2))
        assert board["tasks"][0]["percent"] == 20
        for view in all_views(runtime.ledger):
            assert rebuild(runtime.ledger, runtime.url, runtime.schema, view) == runtime.ledger.position()
