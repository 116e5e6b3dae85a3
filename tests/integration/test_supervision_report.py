"""The half-yearly supervision report, with figures computed by hand for a history over two half-years.

The story (Shanghai time, 2026):
  M1 plenary, dated 01-20, minutes issued 01-22: two agreed items (funding, facilities), one deferred.
  M2 office meeting dated 06-25, minutes issued only 07-02: one item (other) — counted in neither half.
  M3 office meeting dated 07-15, minutes issued 07-17: one item (socialization).
  T1 funding,    finance lead, education co, due 03-13; completion requested 03-13 23:59 → on time.
  T2 facilities, housing lead, culture co,   due 04-30; extended to 06-15; completed 05-10 → on time.
  T3 programs,   education lead,             due 03-31; returned once; requested again 04-05 → late.
  T4 other,      civil-affairs lead,         due 05-31; cancelled 02-10.
  T5 talent,     human-resources lead → reassigned 03-01 to staffing-office (HR co), due 09-30; open.
  T6 facilities, natural-resources lead,     due 03-13; never done; urged 03-20 and 04-10.
  T7 standards,  market-regulation lead,     due 06-29; extension refused; open.
  T8 socialization (from M3), youth-league lead, womens-federation co, due 09-30; completed on time.
  Supervisor urges T5 on 10-08. "Now" is 10-10 09:00.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from coordination.clock import ManualClock
from coordination.errors import ReportAlreadyIssued
from web.reporting import draft_report, issue_report, regenerate_issued
from coordination.storage import connect
from domain import errors
from domain.reports import Period, sha256
from projections.report import supervision_report
from projections.tracking import catch_up
from projections.worker import all_views
from tests.conftest import OFFICE, SUPERVISOR, actor

pytestmark = pytest.mark.db


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def liaison(unit: str):
    return actor(f"{unit}-liaison", unit, "liaison")


ITEM = {"text": "按分工落实", "outcome": "agreed"}


def meeting(ledger, clock, kind, day, issued, items):
    clock.set(sh(f"2026-{day}T09:00:00"))
    meeting_id = ledger.schedule_meeting(OFFICE, kind=kind, title=f"会议{day}", date=date.fromisoformat(f"2026-{day}"),
                                         location="会议室", chair="召集人").result["id"]
    clock.set(sh(f"2026-{day}T15:00:00"))
    ledger.record_attendance(OFFICE, meeting_id, present=["culture-tourism", "finance"], absent=[])
    ledger.draft_minutes(OFFICE, meeting_id, number=f"鹿文协纪〔2026〕{day}号", summary="纪要", items=items)
    clock.set(sh(f"2026-{issued}T10:00:00"))
    return [r["id"] for r in ledger.issue_minutes(OFFICE, meeting_id).result["resolutions"]]


def task(ledger, title, lead, co, due, *, resolution=None, category=None):
    source = {"kind": "resolution", "resolution_id": resolution} if resolution else {"kind": "plan", "reference": "方案"}
    return ledger.assign_task(OFFICE, title=title, source=source, category=category, lead_unit=lead, co_units=co,
                              deadline=date.fromisoformat(f"2026-{due}")).result["id"]


@pytest.fixture
def history(runtime):
    ledger = runtime.ledger
    clock = ManualClock(sh("2026-01-05T09:00:00"))
    ledger.clock = clock
    at = clock.set
    r_funding, r_facilities = meeting(ledger, clock, "plenary", "01-20", "01-22", [
        {**ITEM, "title": "保障机制", "category": "funding"},
        {**ITEM, "title": "设施建设", "category": "facilities"},
        {"title": "专项资金", "text": "再议", "category": "funding", "outcome": "deferred",
         "dissent": [{"unit": "finance", "opinion": "预算未定"}]},
    ])
    at(sh("2026-01-26T09:00:00"))
    t = {
        1: task(ledger, "T1", "finance", ["education"], "03-13", resolution=r_funding),
        2: task(ledger, "T2", "housing-construction", ["culture-tourism"], "04-30", resolution=r_facilities),
        3: task(ledger, "T3", "education", [], "03-31", category="programs"),
        4: task(ledger, "T4", "civil-affairs", [], "05-31", category="other"),
        5: task(ledger, "T5", "human-resources", ["staffing-office"], "09-30", category="talent"),
        6: task(ledger, "T6", "natural-resources", [], "03-13", category="facilities"),
    }
    at(sh("2026-01-27T09:00:00"))
    for n, unit in [(1, "finance"), (2, "housing-construction"), (3, "education"), (5, "human-resources"),
                    (6, "natural-resources")]:
        ledger.acknowledge(liaison(unit), t[n])
    at(sh("2026-02-01T09:00:00"))
    t[7] = task(ledger, "T7", "market-regulation", [], "06-29", category="standards")
    ledger.acknowledge(liaison("market-regulation"), t[7])
    at(sh("2026-02-10T09:00:00"))
    ledger.cancel(OFFICE, t[4], reason="上级已统筹")
    at(sh("2026-03-01T09:00:00"))
    ledger.reassign(OFFICE, t[5], lead_unit="staffing-office", co_units=["human-resources"], reason="职责调整")
    at(sh("2026-03-02T09:00:00"))
    ledger.acknowledge(liaison("staffing-office"), t[5])
    at(sh("2026-03-13T23:59:00"))
    ledger.request_completion(liaison("finance"), t[1], summary="完成")
    at(sh("2026-03-16T09:00:00"))
    ledger.decide_completion(OFFICE, t[1], accepted=True)
    at(sh("2026-03-20T09:00:00"))
    ledger.urge(SUPERVISOR, t[6], message="已超期")
    ledger.request_completion(liaison("education"), t[3], summary="完成")
    at(sh("2026-03-22T09:00:00"))
    ledger.decide_completion(OFFICE, t[3], accepted=False, comment="材料不全")
    at(sh("2026-04-05T09:00:00"))
    ledger.request_completion(liaison("education"), t[3], summary="补齐材料")
    at(sh("2026-04-07T09:00:00"))
    ledger.decide_completion(OFFICE, t[3], accepted=True)
    at(sh("2026-04-10T09:00:00"))
    ledger.urge(OFFICE, t[6], message="再次催办")
    at(sh("2026-04-20T09:00:00"))
    ledger.request_extension(liaison("housing-construction"), t[2], new_deadline=date(2026, 6, 15), reason="雨季")
    at(sh("2026-04-21T09:00:00"))
    ledger.decide_extension(OFFICE, t[2], 1, approved=True, comment="同意")
    at(sh("2026-05-10T09:00:00"))
    ledger.request_completion(liaison("housing-construction"), t[2], summary="完成")
    at(sh("2026-05-12T09:00:00"))
    ledger.decide_completion(OFFICE, t[2], accepted=True)
    at(sh("2026-06-20T09:00:00"))
    ledger.request_extension(liaison("market-regulation"), t[7], new_deadline=date(2026, 7, 31), reason="等待")
    at(sh("2026-06-21T09:00:00"))
    ledger.decide_extension(OFFICE, t[7], 1, approved=False, comment="不予延期")
    meeting(ledger, clock, "office", "06-25", "07-02", [{**ITEM, "title": "满意度调查", "category": "other"}])
    (r_social,) = meeting(ledger, clock, "office", "07-15", "07-17", [{**ITEM, "title": "志愿服务",
                                                                         "category": "socialization"}])
    at(sh("2026-07-20T09:00:00"))
    t[8] = task(ledger, "T8", "youth-league", ["womens-federation"], "09-30", resolution=r_social)
    ledger.acknowledge(liaison("youth-league"), t[8])
    at(sh("2026-09-20T09:00:00"))
    ledger.request_completion(liaison("youth-league"), t[8], summary="完成")
    at(sh("2026-09-22T09:00:00"))
    ledger.decide_completion(OFFICE, t[8], accepted=True)
    at(sh("2026-10-08T09:00:00"))
    ledger.urge(SUPERVISOR, t[5], message="已超期")
    at(sh("2026-10-10T09:00:00"))

    conn = connect(runtime.url, schema=runtime.schema, autocommit=True)
    for view in all_views(ledger):
        catch_up(ledger, conn, view)
    yield ledger, conn, t
    conn.close()


def unit_rows(report):
    return {row["unit"]: row for row in report["units"]}


ZERO = {"lead_tasks": 0, "co_tasks": 0, "completed": 0, "completed_on_time": 0, "overdue": 0,
        "on_time_rate": None, "urgings_received": 0}


def row(**figures):
    return {**ZERO, **figures}


def test_the_first_half_year_figures(history):
    ledger, conn, t = history
    report = draft_report(ledger, conn, "2026H1")
    assert report["as_of"] == sh("2026-07-01T00:00:00").isoformat()
    assert report["log_position"] == ledger.position()
    assert report["totals"] == {
        "meetings_held": 1, "plenary_meetings": 1, "office_meetings": 0,  # M2's minutes came out in July
        "resolutions_adopted": 2, "tasks_assigned": 7, "tasks_completed": 3, "tasks_completed_on_time": 2,
        "tasks_overdue": 2, "tasks_in_progress": 3, "extensions_approved": 1, "urgings": 2,
    }
    units = unit_rows(report)
    assert len(units) == 26
    expected = {
        "finance": row(lead_tasks=1, completed=1, completed_on_time=1, on_time_rate=1.0),
        "education": row(lead_tasks=1, co_tasks=1, completed=1, on_time_rate=0.0),
        "housing-construction": row(lead_tasks=1, completed=1, completed_on_time=1, on_time_rate=1.0),
        "culture-tourism": row(co_tasks=1),
        "civil-affairs": row(lead_tasks=1),  # cancelled on 02-10, but open during the half-year
        "staffing-office": row(lead_tasks=1),  # lead as assigned at as_of
        "human-resources": row(co_tasks=1),
        "natural-resources": row(lead_tasks=1, overdue=1, urgings_received=2),
        "market-regulation": row(lead_tasks=1, overdue=1),
    }
    for code, figures in units.items():
        assert {k: v for k, v in figures.items() if k != "unit"} == expected.get(code, ZERO), code
    assert units["overseas-chinese"]["on_time_rate"] is None
    assert report["categories"] == [
        {"category": "policy", "assigned": 0, "completed": 0, "overdue": 0},
        {"category": "standards", "assigned": 1, "completed": 0, "overdue": 1},
        {"category": "funding", "assigned": 1, "completed": 1, "overdue": 0},
        {"category": "facilities", "assigned": 2, "completed": 1, "overdue": 1},
        {"category": "programs", "assigned": 1, "completed": 1, "overdue": 0},
        {"category": "talent", "assigned": 1, "completed": 0, "overdue": 0},
        {"category": "socialization", "assigned": 0, "completed": 0, "overdue": 0},
        {"category": "other", "assigned": 1, "completed": 0, "overdue": 0},
    ]
    assert report["problems"] == [
        {"task_id": t[6], "title": "T6", "lead_unit": "natural-resources", "overdue_days": 110},
        {"task_id": t[7], "title": "T7", "lead_unit": "market-regulation", "overdue_days": 2},
    ]


def test_the_second_half_year_figures_as_of_now(history):
    ledger, conn, t = history
    report = draft_report(ledger, conn, "2026H2")
    assert report["as_of"] == sh("2026-10-10T09:00:00").isoformat()
    assert report["totals"] == {
        "meetings_held": 1, "plenary_meetings": 0, "office_meetings": 1,
        "resolutions_adopted": 2, "tasks_assigned": 1, "tasks_completed": 1, "tasks_completed_on_time": 1,
        "tasks_overdue": 3, "tasks_in_progress": 3, "extensions_approved": 0, "urgings": 1,
    }
    units = unit_rows(report)
    expected = {
        "youth-league": row(lead_tasks=1, completed=1, completed_on_time=1, on_time_rate=1.0),
        "womens-federation": row(co_tasks=1),
        "staffing-office": row(lead_tasks=1, overdue=1, urgings_received=1),
        "human-resources": row(co_tasks=1),
        "natural-resources": row(lead_tasks=1, overdue=1),
        "market-regulation": row(lead_tasks=1, overdue=1),
    }
    for code, figures in units.items():
        assert {k: v for k, v in figures.items() if k != "unit"} == expected.get(code, ZERO), code
    categories = {c["category"]: c for c in report["categories"]}
    assert categories["socialization"] == {"category": "socialization", "assigned": 1, "completed": 1, "overdue": 0}
    assert [(categories[c]["overdue"]) for c in ("talent", "facilities", "standards")] == [1, 1, 1]
    assert [(p["title"], p["overdue_days"]) for p in report["problems"]] == [("T6", 211), ("T7", 103), ("T5", 10)]


def test_an_issued_report_is_frozen_byte_identical_and_regenerable(history):
    ledger, conn, t = history
    with pytest.raises(errors.NotPermitted):
        issue_report(ledger, conn, OFFICE, "2026H1", "上半年督查情况")
    outcome = issue_report(ledger, conn, SUPERVISOR, "2026H1", "上半年协调机制运转正常,两项任务超期。")
    issued = ledger.issued_report(Period.parse("2026H1"))
    assert outcome.result == {"period": "2026H1", "log_position": issued.log_position, "sha256": issued.sha256}
    assert sha256(issued.content) == issued.sha256
    document = json.loads(issued.content)
    assert document["recipients"]["to"] == ["国家公共文化服务体系示范区创建工作办公室"]
    assert document["totals"]["tasks_overdue"] == 2

    with pytest.raises(ReportAlreadyIssued):
        issue_report(ledger, conn, SUPERVISOR, "2026H1", "再次印发")

    # More history after issue changes neither the frozen report nor its regeneration.
    ledger.request_completion(liaison("market-regulation"), t[7], summary="终于完成")
    ledger.decide_completion(OFFICE, t[7], accepted=True)
    for view in all_views(ledger):
        catch_up(ledger, conn, view)
    assert ledger.issued_report(Period.parse("2026H1")).content == issued.content
    assert regenerate_issued(ledger, conn, "2026H1") == issued.content
    assert supervision_report(conn, Period.parse("2026H1"), ledger.clock.now())["totals"]["tasks_overdue"] == 2


@pytest.mark.parametrize("code", ["2026", "2026H3", "26H1", "2026h1", None])
def test_a_malformed_period_is_refused(code):
    with pytest.raises(errors.InvalidValue):
        Period.parse(code)
