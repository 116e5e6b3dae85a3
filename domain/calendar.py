"""The working-day calendar (工作日历): the office's record of a year's schedule, and counting with it.

The State Council publishes each year's holidays and 调休 working weekends (国务院办公厅关于某年部分节假日
安排的通知). `chinese-calendar` knows them up to the end of its data (2026 for 1.11); for later years the
office records the schedule itself (`YearSchedule`, one small aggregate per year). A `WorkingCalendar`
is the plain data a judge needs — the office's schedules as known at some instant — with the library's
data where the office recorded nothing, and Monday–Friday past both (source "weekdays", said so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import chinese_calendar
from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import Actor
from domain.deadlines import is_working_day as statutory_working_day
from domain.errors import InvalidValue

CALENDAR_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:calendar")
STATUTORY, OFFICE, WEEKDAYS = "statutory", "office", "weekdays"
MAX_DAYS_LISTED = 120
"""More holidays or 调休 days than any year's schedule has had (about 30 + 8)."""
MAX_WORKING_DAYS = 1000
"""A deadline given in working days: at most about four years."""


class YearSchedule(Aggregate):
    """国务院节假日安排: one year's holidays and 调休 working days, as the office recorded them."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(CALENDAR_NAMESPACE, f"year:{year}")

    @classmethod
    def record(cls, *, year: int, holidays: list[date], workdays: list[date], reference: str, reason: str,
               by: Actor, at: datetime) -> YearSchedule:
        """Record a year's schedule for the first time."""
        checked = _checked_schedule(year, holidays, workdays, reference, reason)
        return cls(**checked, actor=by.stamp(), at=at)

    @event("Recorded")
    def __init__(self, year: int, holidays: list[date], workdays: list[date], reference: str, reason: str,
                 actor: dict[str, str], at: datetime):
        self.year = year
        self.holidays = list(holidays)
        self.workdays = list(workdays)
        self.reference = reference

    def revise(self, *, holidays: list[date], workdays: list[date], reference: str, reason: str,
               by: Actor, at: datetime) -> None:
        """Record the year's schedule anew (a correction, or a later notice); the earlier one stays in the log."""
        checked = _checked_schedule(self.year, holidays, workdays, reference, reason)
        self._revised(**checked, actor=by.stamp(), at=at)

    @event("Revised")
    def _revised(self, year: int, holidays: list[date], workdays: list[date], reference: str, reason: str,
                 actor: dict[str, str], at: datetime) -> None:
        self.holidays = list(holidays)
        self.workdays = list(workdays)
        self.reference = reference


def _checked_schedule(year: Any, holidays: Any, workdays: Any, reference: Any, reason: Any) -> dict[str, Any]:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= values.LATEST_YEAR:
        raise InvalidValue("year", f"a year from 2000 to {values.LATEST_YEAR}")
    days: dict[str, list[date]] = {}
    for name, given in (("holidays", holidays), ("workdays", workdays)):
        values.items(name, given, max_items=MAX_DAYS_LISTED, required=True)
        checked = [values.a_date(f"{name}.{i}", d) for i, d in enumerate(given)]
        for i, d in enumerate(checked):
            if d.year != year:
                raise InvalidValue(f"{name}.{i}", f"must lie in {year}")
        if len(set(checked)) != len(checked):
            raise InvalidValue(name, "a day is named twice")
        days[name] = sorted(checked)
    both = set(days["holidays"]) & set(days["workdays"])
    if both:
        raise InvalidValue("workdays", f"{min(both).isoformat()} is also named a holiday")
    for i, d in enumerate(days["workdays"]):
        if d.weekday() < 5:
            raise InvalidValue(f"workdays.{i}", "调休 working days are weekend days; weekdays are worked anyway")
    return {"year": year, **days, "reference": values.text("reference", reference, max_length=values.REFERENCE),
            "reason": values.text("reason", reason)}


def statutory_days(year: int) -> tuple[list[date], list[date]] | None:
    """The library's holidays and 调休 working days of `year`; None past its data."""
    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        return None
    return (sorted(d for d in chinese_calendar.holidays if d.year == year),
            sorted(d for d in chinese_calendar.workdays if d.year == year))


@dataclass(frozen=True)
class Schedule:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    reference: str = ""


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days as known at some instant: the office's schedules, else the library's, else Mon–Fri."""

    office: dict[int, Schedule] = field(default_factory=dict)

    @classmethod
    def of(cls, schedules: list[Schedule]) -> WorkingCalendar:
        return cls({s.year: s for s in schedules})

    def source(self, year: int) -> str:
        if year in self.office:
            return OFFICE
        return STATUTORY if statutory_days(year) is not None else WEEKDAYS

    def is_working_day(self, day: date) -> bool:
        schedule = self.office.get(day.year)
        if schedule is None:
            return statutory_working_day(day)  # the library's data, Mon–Fri past it
        if day in schedule.holidays:
            return False
        return day.weekday() < 5 or day in schedule.workdays

    def year(self, year: int) -> dict[str, Any]:
        """A year as the API shows it: {year, source, reference, holidays, workdays}."""
        source = self.source(year)
        if source == OFFICE:
            s = self.office[year]
            holidays, workdays, reference = sorted(s.holidays), sorted(s.workdays), s.reference
        elif source == STATUTORY:
            holidays, workdays = statutory_days(year) or ([], [])
            reference = f"chinese-calendar {_library_version()}"
        else:
            holidays, workdays, reference = [], [], "周一至周五(无法定节假日数据)"
        return {"year": year, "source": source, "reference": reference,
                "holidays": [d.isoformat() for d in holidays], "workdays": [d.isoformat() for d in workdays]}

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (民法典第二百零一条: the first day is not counted)."""
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_WORKING_DAYS:
            raise InvalidValue("deadline_in_working_days", f"a whole number from 1 to {MAX_WORKING_DAYS}")
        day = start
        while count:
            day += timedelta(days=1)
            count -= self.is_working_day(day)
        return day

    def sources(self, first: date, last: date) -> dict[str, str]:
        """Which calendar each year from `first` to `last` was counted by, e.g. {"2026": "statutory"}."""
        return {str(y): self.source(y) for y in range(first.year, last.year + 1)}


STATUTORY_CALENDAR = WorkingCalendar()
"""No office records: the library's data, then Monday–Friday."""


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinese-calendar")
    except PackageNotFoundError:
        return ""
