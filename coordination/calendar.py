"""Use cases of the working-day calendar (工作日历): the office records a year's schedule; counting working days.

The write side counts with the calendar as the ledger knows it now (the office's records, else the
library's, else Mon–Fri); the views judge lights with the calendar as it was known at the instant viewed
(projections/calendar.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from coordination.authorization import require_role
from coordination.runner import CommandRunner, Outcome
from domain import values
from domain.actors import Actor
from domain.calendar import MAX_WORKING_DAYS, Schedule, WorkingCalendar, YearSchedule
from domain.deadlines import local_date
from domain.errors import InvalidValue

YEARS_AHEAD = MAX_WORKING_DAYS // 240 + 2
"""How many years a deadline in working days can reach (about 245 working days a year)."""


class CalendarUseCases(CommandRunner):
    def record_calendar(self, actor: Actor, year: int, *, holidays: list[date], workdays: list[date],
                        reference: str, reason: str, idempotency_key: str | None = None) -> Outcome:
        """记录节假日安排 (office): the State Council's schedule for `year`; deadlines and lights use it from now on."""
        require_role(actor, "office")
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= values.LATEST_YEAR:
            raise InvalidValue("year", f"a year from 2000 to {values.LATEST_YEAR}")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            schedule = self._year_schedule(year)
            if schedule is None:
                schedule = YearSchedule.record(year=year, holidays=holidays, workdays=workdays, reference=reference,
                                               reason=reason, by=actor, at=at)
            else:
                schedule.revise(holidays=holidays, workdays=workdays, reference=reference, reason=reason,
                                by=actor, at=at)
            return {"year": year, "version": schedule.version, "at": at.isoformat()}, [schedule]

        arguments = {"year": year, "holidays": holidays, "workdays": workdays, "reference": reference,
                     "reason": reason}
        return self._execute(actor, "calendar.recorded", arguments, work, idempotency_key)

    def working_calendar(self, first_year: int, last_year: int) -> WorkingCalendar:
        """The calendar as the ledger knows it now, for the years first_year..last_year."""
        found = [self._year_schedule(y) for y in range(first_year, last_year + 1)]
        return WorkingCalendar.of([Schedule(s.year, frozenset(s.holidays), frozenset(s.workdays), s.reference)
                                   for s in found if s is not None])

    def calendar_year(self, year: int) -> dict[str, Any]:
        """A year's working-day calendar as the API shows it, with where it comes from."""
        if not 2000 <= year <= values.LATEST_YEAR:
            raise InvalidValue("year", f"a year from 2000 to {values.LATEST_YEAR}")
        return self.working_calendar(year, year).year(year)

    def deadline_in_working_days(self, count: int, at: datetime) -> tuple[date, dict[str, Any]]:
        """The date `count` working days after the day of `at` (Asia/Shanghai), and how it was computed."""
        today = local_date(at)
        calendar = self.working_calendar(today.year, min(today.year + YEARS_AHEAD, values.LATEST_YEAR))
        deadline = calendar.add_working_days(today, count)
        return deadline, {"working_days": count, "from": today.isoformat(),
                          "calendar": calendar.sources(today, deadline)}

    def _year_schedule(self, year: int) -> YearSchedule | None:
        try:
            return self.repository.get(YearSchedule.create_id(year))
        except AggregateNotFoundError:
            return None
