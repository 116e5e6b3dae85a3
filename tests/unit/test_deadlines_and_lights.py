"""Working days, overdue and the warning light (红黄绿灯)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from domain.deadlines import add_months, deadline_end, is_working_day, working_days_left
from domain.tasks import Task
from tests.conftest import FINANCE, OFFICE


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def task_due(deadline: date, at: datetime, feedback_every: str | None = None) -> Task:
    return Task.assign(title="t", description="", source={"kind": "instruction", "reference": "领导批示"},
                       category="other", lead_unit="finance", co_units=[], deadline=deadline, milestones=None,
                       feedback_every=feedback_every, by=OFFICE, at=at)


def test_national_day_2026_is_a_holiday_and_its_make_up_saturday_a_working_day():
    assert [is_working_day(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert is_working_day(date(2026, 10, 8))
    assert is_working_day(date(2026, 10, 10)), "Saturday 10 October 2026 is a 调休 working day"
    assert not is_working_day(date(2026, 10, 11))


def test_working_days_left_skip_the_national_day_holiday():
    # After Wednesday 30 September up to Friday 9 October: only 8 and 9 October are working days.
    assert working_days_left(date(2026, 9, 30), date(2026, 10, 9)) == 2
    # Up to the make-up Saturday 10 October: three.
    assert working_days_left(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_beyond_the_calendars_data_weekdays_count_and_the_log_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        assert is_working_day(date(2099, 1, 2))  # a Friday
        assert not is_working_day(date(2099, 1, 3))  # a Saturday
    assert "no_statutory_data" in caplog.text


def test_a_deadline_date_ends_at_midnight_shanghai_time():
    assert deadline_end(date(2026, 3, 13)) == shanghai("2026-03-14T00:00:00")


def test_overdue_days_count_calendar_days_from_the_deadline_to_today_in_shanghai():
    task = task_due(date(2026, 3, 13), shanghai("2026-03-02T09:00:00"))
    assert not task.is_overdue(shanghai("2026-03-13T23:59:59"))
    assert task.is_overdue(shanghai("2026-03-14T00:00:00"))
    assert task.overdue_days(shanghai("2026-07-01T00:00:00")) == 110


def test_the_light_is_green_then_yellow_within_three_working_days_then_red():
    task = task_due(date(2026, 10, 10), shanghai("2026-09-01T09:00:00"))
    task.acknowledge(by=FINANCE, at=shanghai("2026-09-01T10:00:00"))
    assert task.light(shanghai("2026-09-28T09:00:00")) == "green"  # 29, 30 Sep, 8, 9, 10 Oct: five left
    assert task.light(shanghai("2026-09-30T09:00:00")) == "yellow"  # 8, 9, 10 Oct: three left
    assert task.light(shanghai("2026-10-11T00:00:00")) == "red"


def test_a_missed_feedback_cycle_turns_the_light_yellow():
    task = task_due(date(2026, 12, 31), shanghai("2026-03-02T09:00:00"), feedback_every="month")
    task.acknowledge(by=FINANCE, at=shanghai("2026-03-02T10:00:00"))
    assert task.light(shanghai("2026-04-02T10:00:00")) == "green"
    assert task.light(shanghai("2026-04-02T10:01:00")) == "yellow"
    task.report_progress(percent=30, text="进展", evidence=None, by=FINANCE, at=shanghai("2026-04-03T09:00:00"))
    assert task.light(shanghai("2026-04-03T09:01:00")) == "green"


def test_closed_tasks_have_no_light_and_are_never_overdue():
    task = task_due(date(2026, 3, 13), shanghai("2026-03-02T09:00:00"))
    task.cancel(reason="撤销", by=OFFICE, at=shanghai("2026-03-03T09:00:00"))
    assert task.light(shanghai("2026-07-01T00:00:00")) is None
    assert task.overdue_days(shanghai("2026-07-01T00:00:00")) == 0


def test_completion_requested_at_2359_on_the_deadline_day_is_on_time():
    task = task_due(date(2026, 3, 13), shanghai("2026-03-02T09:00:00"))
    task.acknowledge(by=FINANCE, at=shanghai("2026-03-02T10:00:00"))
    task.request_completion(summary="完成", evidence=None, by=FINANCE, at=shanghai("2026-03-13T23:59:00"))
    assert task.completion["on_time"] is True


def test_completion_requested_after_the_deadline_is_late():
    task = task_due(date(2026, 3, 13), shanghai("2026-03-02T09:00:00"))
    task.acknowledge(by=FINANCE, at=shanghai("2026-03-02T10:00:00"))
    task.request_completion(summary="完成", evidence=None, by=FINANCE, at=shanghai("2026-03-14T00:00:00"))
    assert task.completion["on_time"] is False


def test_adding_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(shanghai("2026-01-31T09:00:00"), 1) == shanghai("2026-02-28T09:00:00")
    assert add_months(shanghai("2026-08-15T09:00:00"), 6) == shanghai("2027-02-15T09:00:00")
    assert add_months(shanghai("2026-12-15T09:00:00"), 1) - shanghai("2026-12-15T09:00:00") == timedelta(days=31)
