"""The calendar view: each schedule the office recorded for a year, from the instant it was recorded.

Read once per query: `calendar_at(conn, at)` is the working-day calendar as known at instant `at` (the
newest record of each year at or before it), handed to the domain's judge (Standing.light) as plain data.
A past view therefore does not change when a later schedule is recorded.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from domain.calendar import Schedule, WorkingCalendar
from projections.eventlog import LoggedEvent
from projections.storable import storable_text


class CalendarVersions:
    name = "calendar"
    tables = ("calendar_versions",)

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        rows = [(e.data["year"], e.position, e.at, storable_text(e.data["reference"]), e.data["holidays"],
                 e.data["workdays"]) for e in events if e.type in ("YearSchedule.Recorded", "YearSchedule.Revised")]
        if rows:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO calendar_versions (year, position, valid_from, reference, holidays,"
                                " workdays) VALUES (%s, %s, %s, %s, %s, %s)", rows)


def calendar_at(conn: psycopg.Connection, at: datetime | None) -> WorkingCalendar:
    """The working-day calendar as known at instant `at` (None: as known now)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (year) year, reference, holidays, workdays FROM calendar_versions"
        " WHERE %s::timestamptz IS NULL OR valid_from <= %s ORDER BY year, valid_from DESC, position DESC",
        (at, at)).fetchall()
    return WorkingCalendar.of([Schedule(year, frozenset(holidays), frozenset(workdays), reference)
                               for year, reference, holidays, workdays in rows])
