"""Time rules of the domain: Shanghai dates, deadline instants, working days, feedback cycles.

A deadline date D ends at D+1 00:00 Asia/Shanghai. Working days follow the Chinese statutory
calendar (节假日 and 调休) from chinese-calendar; past its data they fall back to Monday–Friday,
and say so in the log once per year.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
YELLOW_WORKING_DAYS = 3
"""Yellow light when at most this many working days remain (DESIGN.md)."""

FEEDBACK_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "half-year": 6}

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


def local_date(instant: datetime) -> date:
    """The calendar date of `instant` in Asia/Shanghai."""
    return instant.astimezone(SHANGHAI).date()


def start_of(day: date) -> datetime:
    """00:00 Asia/Shanghai on `day`, as an aware UTC instant."""
    return datetime.combine(day, time(0), SHANGHAI).astimezone(timezone.utc)


END_OF_TIME = datetime.max.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=8192)
def deadline_end(deadline: date) -> datetime:
    """The first instant after deadline date D: D+1 00:00 Asia/Shanghai (pure, so kept: boards ask it thousands of times).

    Saturates at the end of the calendar, so a far date recorded before today's limits still compares.
    """
    if deadline >= date.max - timedelta(days=2):
        return END_OF_TIME
    return start_of(deadline + timedelta(days=1))


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """True on a statutory working day (调休 Saturdays included, holidays excluded)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("calendar.no_statutory_data year=%s: counting Monday-Friday as working days", day.year)
        return day.weekday() < 5


def working_days_left(today: date, deadline: date, *, stop_after: int | None = None,
                      working_day: Callable[[date], bool] | None = None) -> int:
    """Working days after `today` up to and including `deadline` (0 when the deadline is today or past).

    With `stop_after`, counting stops once it exceeds that number (enough to decide a light).
    `working_day` is the calendar to count by (domain/calendar.py); default the library's statutory one.
    """
    is_working_day_ = working_day or is_working_day
    count = 0
    day = today + timedelta(days=1)
    while day <= deadline:
        if is_working_day_(day):
            count += 1
            if stop_after is not None and count > stop_after:
                break
        day += timedelta(days=1)
    return count


def add_months(instant: datetime, months: int) -> datetime:
    """The same wall-clock instant `months` calendar months later (clamped to the month's last day)."""
    local = instant.astimezone(SHANGHAI)
    if local.year + months // 12 + 1 > 9998:
        return END_OF_TIME
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    day = min(local.day, (next_month - timedelta(days=1)).day)
    return local.replace(year=year, month=month, day=day).astimezone(timezone.utc)
