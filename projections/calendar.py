"""The calendar view: each schedule the office recorded for a year, from the instant it was recorded.

Read once per query: `calendar_at(conn, at)` is the working-day calendar as known at instant `at` (the
newest record of each year at or before it), handed to the domain's judge (Standing.light) as plain data.
A past view therefore does not change when a later schedule is recorded.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from domain.calendar import Schedule, WorkingCalendar, YearSchedule
from projections.eventlog import LoggedEvent, topics_of
from projections.storable import storable_text


class CalendarVersions:
    name = "calendar"
    tables = ("calendar_versions",)
    topics = topics_of(YearSchedule)

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        rows = [(e.data["year"], e.position, e.at, storable_text(e.data["reference"]), e.data["holidays"],
                 e.data["workdays"]) for e in events if e.type in ("YearSchedule.Recorded", "YearSchedule.Revised")]
        if rows:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO calendar_versions (year, position, valid_from, reference, holidays,"
                                " workdays) VALUES (%s, %s, %s, %s, %s, %s)", rows)


CALENDAR_TOPICS = [f"{YearSchedule.__module__}:{e.__qualname__}" for e in (YearSchedule.Recorded, YearSchedule.Revised)]


def calendar_complete_at(conn: psycopg.Connection, at: datetime, position: int,
                         events_table: str = "ledger_events") -> WorkingCalendar | None:
    """The calendar as known at `at`, if the view already holds every schedule logged up to `position`; else None.

    One round trip, and no waiting for the worker: the view is complete for `position` when it has reached it,
    or when no schedule was logged between its position and `position` (a task's command never logs one).
    """
    rows = conn.execute(
        "WITH seen AS (SELECT coalesce((SELECT position FROM projection_tracking WHERE name = 'calendar'), 0) AS p)"
        " SELECT NULL::int, NULL, NULL::date[], NULL::date[] FROM seen WHERE seen.p < %s AND EXISTS (SELECT 1 FROM"
        f" {events_table} WHERE notification_id > seen.p AND notification_id <= %s AND topic = ANY(%s))"
        " UNION ALL (SELECT DISTINCT ON (year) year, reference, holidays, workdays FROM calendar_versions"
        " WHERE valid_from <= %s ORDER BY year, valid_from DESC, position DESC)",
        (position, position, CALENDAR_TOPICS, at), prepare=True).fetchall()
    if any(year is None for year, *_ in rows):
        return None
    return WorkingCalendar.of([Schedule(year, frozenset(holidays), frozenset(workdays), reference)
                               for year, reference, holidays, workdays in rows])


def calendar_at(conn: psycopg.Connection, at: datetime | None) -> WorkingCalendar:
    """The working-day calendar as known at instant `at` (None: as known now)."""
    return known_calendar(ask_calendar(conn, at))


def ask_calendar(conn: psycopg.Connection, at: datetime | None) -> psycopg.Cursor:
    """Send the query of `calendar_at` without waiting: inside `conn.pipeline()` its answer comes back
    with the next statement's, in the same round trip. `known_calendar` reads it."""
    return conn.execute(
        "SELECT DISTINCT ON (year) year, reference, holidays, workdays FROM calendar_versions"
        " WHERE %s::timestamptz IS NULL OR valid_from <= %s ORDER BY year, valid_from DESC, position DESC",
        (at, at), prepare=True)


def known_calendar(asked: psycopg.Cursor) -> WorkingCalendar:
    return WorkingCalendar.of([Schedule(year, frozenset(holidays), frozenset(workdays), reference)
                               for year, reference, holidays, workdays in asked.fetchall()])
