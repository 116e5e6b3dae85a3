"""Boards and the dashboard from the task-history view, now and as of past instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from projections import queries
from projections.worker import all_views, rebuild
from tests.integration.tables import differences, view_tables
from tests.conftest import EDUCATION, FINANCE, HOUSING, OFFICE, SUPERVISOR
from projections.eventlog import EventLog

pytestmark = pytest.mark.db


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def assign(ledger, title, lead, co, deadline):
    return ledger.assign_task(OFFICE, title=title, source={"kind": "plan", "reference": "方案"}, category="facilities",
                              lead_unit=lead, co_units=co, deadline=deadline).result["id"]


def test_as_of_answers_match_what_the_views_said_at_that_instant(runtime, views, clock):
    ledger = runtime.ledger
    seen = {}

    def look(label):
        conn = views()
        now = clock.now()
        seen[label] = (now, queries.board(conn, "finance", now), queries.board(conn, "education", now),
                       queries.dashboard(conn, now))

    a = assign(ledger, "文化站改造", "finance", ["education"], date(2026, 3, 13))
    b = assign(ledger, "学校设施开放", "education", ["finance"], date(2026, 4, 30))
    look("assigned")
    clock.set(shanghai("2026-03-03T10:00:00"))
    ledger.acknowledge(FINANCE, a)
    ledger.report_progress(FINANCE, a, percent=30, text="开工")
    look("working")
    clock.set(shanghai("2026-03-10T10:00:00"))
    ledger.request_extension(FINANCE, a, new_deadline=date(2026, 3, 31), reason="材料延误")
    look("extension pending")
    clock.set(shanghai("2026-03-14T09:00:00"))
    look("overdue")
    clock.advance(timedelta(minutes=5))  # "as of T" includes what happened at T itself
    ledger.decide_extension(OFFICE, a, 1, approved=True, comment="同意")
    ledger.reassign(OFFICE, b, lead_unit="housing-construction", co_units=["finance"], reason="调整")
    look("extended and reassigned")
    clock.set(shanghai("2026-03-20T10:00:00"))
    ledger.request_completion(FINANCE, a, summary="完成")
    ledger.decide_completion(OFFICE, a, accepted=True, comment="同意")
    ledger.urge(SUPERVISOR, b, message="请签收")
    look("completed")

    assert seen["overdue"][1]["counts"]["overdue"] == 1
    assert seen["overdue"][1]["tasks"][0]["light"] == "red"
    assert seen["extended and reassigned"][1]["tasks"][0]["light"] == "green"
    education_titles = [t["title"] for t in seen["extended and reassigned"][2]["tasks"]]
    assert education_titles == ["文化站改造"], "education left task b when it was reassigned"
    assert [t["title"] for t in seen["overdue"][2]["tasks"]] == ["文化站改造", "学校设施开放"]
    assert seen["extension pending"][3]["pending_decisions"]["extensions"][0]["request"] == 1

    clock.set(shanghai("2026-09-01T10:00:00"))
    conn = views()
    later = clock.now()
    for label, (instant, finance, education, dashboard) in seen.items():
        assert queries.board(conn, "finance", later, as_of=instant) == finance, label
        assert queries.board(conn, "education", later, as_of=instant) == education, label
        assert queries.dashboard(conn, later, as_of=instant) == dashboard, label
    now_board = queries.board(conn, "finance", later)
    assert {t["status"] for t in now_board["tasks"]} == {"completed", "assigned"}


def test_boards_show_lead_and_co_roles_and_a_rebuild_gives_the_same_rows(runtime, views, clock):
    ledger = runtime.ledger
    a = assign(ledger, "任务甲", "finance", ["education"], date(2026, 6, 30))
    assign(ledger, "任务乙", "housing-construction", ["finance", "education"], date(2026, 5, 31))
    ledger.acknowledge(FINANCE, a)
    ledger.acknowledge(EDUCATION, a)
    ledger.acknowledge(HOUSING, EventLog(ledger).read(ledger.position() - 3, 1)[0].aggregate_id)
    conn = views()
    board = queries.board(conn, "finance", clock.now())
    assert [(t["title"], t["role"]) for t in board["tasks"]] == [("任务乙", "co"), ("任务甲", "lead")]
    assert board["counts"]["in_progress"] == 2
    before = conn.execute("SELECT * FROM task_versions ORDER BY task_id, version").fetchall()
    for view in all_views(ledger):
        rebuild(ledger, runtime.url, runtime.schema, view)
    assert conn.execute("SELECT * FROM task_versions ORDER BY task_id, version").fetchall() == before


def test_every_view_after_the_demo_equals_a_rebuild_from_scratch(runtime, views, clock):
    from entrypoints.demo import load_demo

    clock.set(shanghai("2026-11-22T09:00:00"))
    load_demo(runtime.ledger)
    conn = views()
    before = view_tables(conn, runtime.ledger)
    for view in all_views(runtime.ledger):
        rebuild(runtime.ledger, runtime.url, runtime.schema, view)
    diff = differences(before, view_tables(conn, runtime.ledger))
    assert not diff, diff
    task_events = sum(1 for e in EventLog(runtime.ledger).iter() if e.aggregate_type == "Task")
    assert len(before["task_versions"]) == task_events > 150


def test_the_task_register_filters_by_unit_role_status_overdue_and_category(runtime, views, clock):
    ledger = runtime.ledger
    a = assign(ledger, "甲", "finance", ["education"], date(2026, 3, 13))
    assign(ledger, "乙", "education", ["finance"], date(2026, 6, 30))
    clock.set(shanghai("2026-03-05T09:00:00"))
    ledger.acknowledge(FINANCE, a)
    clock.set(shanghai("2026-03-20T09:00:00"))
    conn = views()
    now = clock.now()

    def titles(**filters):
        return [t["title"] for t in queries.tasks(conn, now, **filters)]

    assert titles(unit="finance") == ["甲", "乙"]
    assert titles(unit="finance", role="lead") == ["甲"]
    assert titles(unit="finance", role="co") == ["乙"]
    assert titles(status="assigned") == ["乙"]
    assert titles(overdue=True) == ["甲"]
    assert titles(category="facilities") == ["甲", "乙"] and titles(category="funding") == []
    assert titles(status="in_progress", as_of=shanghai("2026-03-03T12:00:00")) == [], "acknowledged later"
    assert titles(status="in_progress", as_of=shanghai("2026-03-06T12:00:00")) == ["甲"]
    detail = queries.tasks(conn, now, unit="finance", role="lead")[0]
    assert (detail["light"], detail["overdue_days"], detail["effective_deadline"]) == ("red", 7, "2026-03-13")
