"""Working days the office keeps current; milestones and urgings that count (issue 13)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.errors import NotLeadUnit, NotPermitted
from projections import queries
from projections.eventlog import EventLog
from projections.report import supervision_report
from domain.reports import Period
from tests.conftest import EDUCATION, FINANCE, OFFICE, SUPERVISOR

pytestmark = pytest.mark.db

SCHEDULE_2027 = {"holidays": [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)], "workdays": [],
                 "reference": "国办发明电〔2026〕X号", "reason": "国务院公布2027年节假日安排"}


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def assign(ledger, title="文化站改造", **kw):
    kw.setdefault("co_units", ["education"])
    return ledger.assign_task(OFFICE, title=title, source={"kind": "plan", "reference": "方案"}, category="facilities",
                              lead_unit="finance", **kw).result["id"]


def light_on_board(conn, task_id, now, as_of=None):
    board = queries.board(conn, "finance", now, as_of=as_of)
    return next(t for t in board["tasks"] if t["id"] == task_id)


# --- the calendar ------------------------------------------------------------------------------------


def test_a_deadline_in_working_days_skips_the_national_day_holiday_and_counts_its_adjusted_saturday(runtime, clock):
    ledger = runtime.ledger
    # The first day is not counted (民法典第二百零一条): assigned on Friday 9-18, one working day is Sunday 9-20 (调休).
    clock.set(shanghai("2026-09-18T23:59:00"))
    assert ledger.task(assign(ledger, deadline_in_working_days=1)).deadline == date(2026, 9, 20)
    clock.set(shanghai("2026-09-24T10:00:00"))  # Thursday; 9-25 to 10-7 off except 9-28..9-30; Saturday 10-10 worked
    five = assign(ledger, deadline_in_working_days=5)
    six = assign(ledger, deadline_in_working_days=6)
    assert ledger.task(five).deadline == date(2026, 10, 9)
    assert ledger.task(six).deadline == date(2026, 10, 10)  # the 调休 Saturday
    assigned = EventLog(ledger).history(five)[0]
    assert assigned.data["deadline_rule"] == {"working_days": 5, "from": "2026-09-24", "calendar": {"2026": "statutory"}}


def test_the_light_turns_yellow_with_three_working_days_left_across_the_holiday(runtime, views, clock):
    ledger = runtime.ledger
    clock.set(shanghai("2026-09-24T10:00:00"))
    task = assign(ledger, deadline=date(2026, 10, 9))
    conn = views()
    # 9-28: 9-29, 9-30, 10-8, 10-9 left → green; 9-29: 9-30, 10-8, 10-9 → yellow.
    assert light_on_board(conn, task, shanghai("2026-09-28T12:00:00"))["light"] == "green"
    assert light_on_board(conn, task, shanghai("2026-09-29T12:00:00"))["light"] == "yellow"


def test_2027_counts_weekdays_until_the_office_records_its_schedule_and_a_past_view_keeps_its_light(
        runtime, views, clock):
    ledger = runtime.ledger
    clock.set(shanghai("2026-12-30T09:00:00"))
    assert ledger.calendar_year(2027)["source"] == "weekdays"
    assert ledger.calendar_year(2026)["source"] == "statutory"
    assert "2026-10-10" in ledger.calendar_year(2026)["workdays"]
    task = assign(ledger, deadline=date(2027, 1, 5))
    counted = assign(ledger, deadline_in_working_days=3)
    assert ledger.task(counted).deadline == date(2027, 1, 4)  # 12-31, 1-1 (Mon–Fri: no data), 1-4
    before = clock.now()
    # 12-31, 1-1, 1-4, 1-5: four working days as far as anyone knows on 12-30 → green.
    assert light_on_board(views(), task, before)["light"] == "green"

    clock.set(shanghai("2026-12-30T10:00:00"))
    with pytest.raises(NotPermitted):
        ledger.record_calendar(FINANCE, 2027, **SCHEDULE_2027)
    ledger.record_calendar(OFFICE, 2027, **SCHEDULE_2027)
    year = ledger.calendar_year(2027)
    assert year["source"] == "office" and year["holidays"] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    assert year["reference"] == "国办发明电〔2026〕X号"

    conn = views()
    now = clock.now()
    assert light_on_board(conn, task, now)["light"] == "yellow"  # 12-31, 1-4, 1-5
    assert light_on_board(conn, task, now, as_of=before)["light"] == "green"  # as it was known then
    assert queries.tasks(conn, now, as_of=before, task_id=task)[0]["light"] == "green"
    assert queries.tasks(conn, now, task_id=task)[0]["light"] == "yellow"
    # From now on deadlines count by the office's record.
    recounted = assign(ledger, deadline_in_working_days=3)
    assert ledger.task(recounted).deadline == date(2027, 1, 5)
    rule = EventLog(ledger).history(recounted)[0].data["deadline_rule"]
    assert rule["calendar"] == {"2026": "statutory", "2027": "office"}


def test_a_recorded_schedule_is_checked_and_a_revision_replaces_it_from_then_on(runtime, views, clock):
    ledger = runtime.ledger
    from domain.errors import InvalidValue

    with pytest.raises(InvalidValue):
        ledger.record_calendar(OFFICE, 2027, holidays=[date(2028, 1, 1)], workdays=[], reference="x", reason="y")
    with pytest.raises(InvalidValue):  # a 调休 working day is a weekend day
        ledger.record_calendar(OFFICE, 2027, holidays=[], workdays=[date(2027, 1, 4)], reference="x", reason="y")
    ledger.record_calendar(OFFICE, 2027, **SCHEDULE_2027)
    clock.set(shanghai("2026-03-02T10:00:00"))
    ledger.record_calendar(OFFICE, 2027, **{**SCHEDULE_2027, "workdays": [date(2027, 1, 9)], "reason": "勘误"})
    conn = views()
    from projections.calendar import calendar_at

    assert calendar_at(conn, shanghai("2026-03-02T09:30:00")).is_working_day(date(2027, 1, 9)) is False
    assert calendar_at(conn, None).is_working_day(date(2027, 1, 9)) is True
    assert ledger.calendar_year(2027)["workdays"] == ["2027-01-09"]


# --- milestones and urgings ------------------------------------------------------------------------


def test_a_missed_milestone_makes_the_light_yellow_until_the_percent_reaches_it(runtime, views, clock):
    ledger = runtime.ledger
    task = assign(ledger, deadline=date(2026, 12, 31), milestones=[
        {"due": date(2026, 4, 30), "target_percent": 50, "description": "完成设计"},
        {"due": date(2026, 9, 30), "target_percent": 90, "description": "主体完工"}])
    ledger.acknowledge(FINANCE, task)
    ledger.report_progress(FINANCE, task, percent=30, text="设计中")
    conn = views()
    on_the_day = light_on_board(conn, task, shanghai("2026-04-30T20:00:00"))
    assert on_the_day["light"] == "green" and on_the_day["next_milestone"]["due"] == "2026-04-30"
    after = light_on_board(conn, task, shanghai("2026-05-01T00:00:00"))
    assert after["light"] == "yellow"
    assert after["missed_milestones"] == [{"due": "2026-04-30", "target_percent": 50, "description": "完成设计"}]
    assert after["next_milestone"]["due"] == "2026-09-30"

    clock.set(shanghai("2026-05-06T09:00:00"))
    ledger.acknowledge(EDUCATION, task)
    ledger.report_progress(EDUCATION, task, percent=80, text="配合单位的进度不算")
    assert light_on_board(views(), task, clock.now())["light"] == "yellow"
    report = supervision_report(views(), Period.parse("2026H1"), clock.now())
    assert [(m["task_id"], m["due"], m["percent"]) for m in report["missed_milestones"]] == [(task, "2026-04-30", 30)]
    ledger.report_progress(FINANCE, task, percent=55, text="设计完成")
    settled = light_on_board(views(), task, clock.now())
    assert settled["light"] == "green" and settled["missed_milestones"] == []
    assert supervision_report(views(), Period.parse("2026H1"), clock.now())["missed_milestones"] == []


def test_urgings_escalate_on_boards_and_in_the_report_and_the_lead_unit_replies(runtime, views, clock):
    ledger = runtime.ledger
    task = assign(ledger, deadline=date(2026, 12, 31))
    levels = []
    for n in range(1, 5):
        clock.set(shanghai(f"2026-03-0{n + 2}T09:00:00"))
        ledger.urge(SUPERVISOR if n % 2 else OFFICE, task, message=f"第{n}次催办")
        levels.append(light_on_board(views(), task, clock.now())["urging_level"])
    assert levels == ["urged", "second_urging", "interview_or_notice", "interview_or_notice"]
    board = light_on_board(views(), task, clock.now())
    assert board["urgings"] == 4 and board["urging_label"] == "约谈/通报候选"
    report = supervision_report(views(), Period.parse("2026H1"), clock.now())
    assert report["urging_escalations"] == [{"task_id": task, "title": "文化站改造", "lead_unit": "finance",
                                             "urgings": 4, "urging_level": "interview_or_notice"}]
    assert report["totals"]["urgings"] == 4  # the contract's figure is unchanged

    with pytest.raises(NotLeadUnit):
        ledger.reply_to_urging(EDUCATION, task, text="配合单位不能回复")
    ledger.reply_to_urging(FINANCE, task, text="已召开专题会,下周完成招标")
    last = EventLog(ledger).history(task)[-1]
    assert last.type == "Task.UrgingReplied"
    assert last.data == {"text": "已召开专题会,下周完成招标", "urgings": 4}
    assert last.actor == {"username": "finance-liaison", "unit": "finance"}


def test_an_unurged_task_cannot_be_replied_to(runtime):
    from domain.errors import NotUrged

    task = assign(runtime.ledger, deadline=date(2026, 12, 31))
    with pytest.raises(NotUrged):
        runtime.ledger.reply_to_urging(FINANCE, task, text="无")
