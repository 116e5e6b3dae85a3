"""Read queries over the task views: tasks, boards and the dashboard — now, or as of any past instant.

Plain SQL returning plain data. "As of T" means the task states valid at T (valid_from ≤ T <
valid_to), with lights and overdue days judged at T; `upto` (a log position) further limits the
answer to what the log held at that position, which makes frozen reports reproducible.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.calendar import STATUTORY_CALENDAR, WorkingCalendar
from domain.charter import UNIT_CODES
from domain.deadlines import SHANGHAI
from domain.standing import OPEN_STATUSES, STATUSES, URGING_LABELS, Standing, urging_level
from projections.calendar import ask_calendar, known_calendar

def states_at(conn: psycopg.Connection, as_of: datetime | None, *, upto: int | None = None,
              where: str = "TRUE", params: tuple[Any, ...] = (), select: str = "*",
              group_by: str | None = None, order_by: str | None = None) -> list[dict[str, Any]]:
    """Each task's state at `as_of` (None: the current state), optionally as the log stood at `upto`.

    A state is valid over [valid_from, valid_to). As the log stood at position `upto`, a state is the
    task's latest when its own event is at or before `upto` and the event that ended it (`ended_by`)
    came later or not at all. The `where` filter applies to the chosen state, so a task reassigned away
    from a unit does not show its older version.
    """
    if as_of is None and upto is None:
        sql = f"SELECT {select} FROM tasks_now WHERE ({where})" + (f" GROUP BY {group_by}" if group_by else "")
        sql += f" ORDER BY {order_by}" if order_by else ""
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()
    clauses: list[str] = []
    args: tuple[Any, ...] = ()
    if as_of is not None:
        clauses.append("valid_from <= %s")
        args += (as_of,)
    if upto is None:
        clauses.append("tstzrange(valid_from, valid_to, '[)') @> %s::timestamptz")
        args += (as_of,)
    else:
        clauses.append("position <= %s")
        args += (upto,)
        if as_of is None:
            clauses.append("(ended_by IS NULL OR ended_by > %s)")
            args += (upto,)
        else:
            clauses.append("(tstzrange(valid_from, valid_to, '[)') @> %s::timestamptz OR ended_by > %s)")
            args += (as_of, upto)
    sql = f"SELECT {select} FROM task_versions WHERE {' AND '.join(clauses)} AND ({where})"
    if group_by:
        sql += f" GROUP BY {group_by}"
    sql += f" ORDER BY {order_by}" if order_by else ""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, args + params).fetchall()


def states_with_calendar(conn: psycopg.Connection, as_of: datetime | None,
                         **query: Any) -> tuple[list[dict[str, Any]], WorkingCalendar]:
    """`states_at(conn, as_of, **query)` and the calendar known at `as_of`, in one round trip (a pipeline)."""
    with conn.pipeline():
        asked = ask_calendar(conn, as_of)
        rows = states_at(conn, as_of, **query)
        return rows, known_calendar(asked)


def standing(row: dict[str, Any]) -> Standing:
    return Standing(status=row["status"], effective_deadline=row["effective_deadline"],
                    feedback_every=row["feedback_every"], feedback_since=row["feedback_since"],
                    percent=row.get("percent", 0), milestones=tuple(row.get("milestones") or ()))


def attention(row: dict[str, Any], at: datetime) -> dict[str, Any]:
    """What a board shows beside the light: the next milestone, missed ones, how far urging has escalated."""
    if not row.get("milestones"):  # most tasks: nothing to judge, the urgings alone decide
        level = urging_level(row.get("urgings") or 0)
        return {"next_milestone": None, "missed_milestones": [], "urgings": row.get("urgings") or 0,
                "urging_level": level, "urging_label": URGING_LABELS.get(level) if level else None}
    judged = standing(row)
    level = urging_level(row.get("urgings") or 0)
    return {"next_milestone": _milestone(judged.next_milestone(at)),
            "missed_milestones": [_milestone(m) for m in judged.missed_milestones(at)],
            "urgings": row.get("urgings") or 0, "urging_level": level,
            "urging_label": URGING_LABELS.get(level) if level else None}


def _milestone(milestone: dict[str, Any] | None) -> dict[str, Any] | None:
    if milestone is None:
        return None
    due = milestone["due"]
    return {"due": due if isinstance(due, str) else due.isoformat(), "target_percent": milestone["target_percent"],
            "description": milestone.get("description", "")}


def task_summary(row: dict[str, Any], at: datetime, unit: str | None = None,
                 calendar: WorkingCalendar = STATUTORY_CALENDAR) -> dict[str, Any]:
    """A task as the API shows it, judged at instant `at` with the calendar known then."""
    judged = standing(row)
    summary = {
        "id": str(row["task_id"]),
        "title": row["title"],
        "status": row["status"],
        "category": row["category"],
        "lead_unit": row["lead_unit"],
        "co_units": list(row["co_units"]),
        "deadline": row["deadline"].isoformat(),
        "effective_deadline": row["effective_deadline"].isoformat(),
        "percent": row["percent"],
        "light": judged.light(at, calendar.is_working_day),
        "overdue": judged.is_overdue(at),
        "overdue_days": judged.overdue_days(at),
        "days_left": judged.days_left(at),
        **attention(row, at),
        "source": row["source"],
        "milestones": row["milestones"],
        "feedback_every": row["feedback_every"],
        "acknowledged": list(row["acknowledged"]),
        "pending_extension": row["pending_extension"],
        "version": row["version"],
        "position": row["position"],
    }
    if unit is not None:
        summary["role"] = "lead" if row["lead_unit"] == unit else "co"
    return summary


def tasks(conn: psycopg.Connection, now: datetime, *, as_of: datetime | None = None, unit: str | None = None,
          role: str | None = None, status: str | None = None, overdue: bool | None = None,
          category: str | None = None, task_id: str | None = None) -> list[dict[str, Any]]:
    """The task register, filtered; judged at `as_of` when given, else at `now`."""
    clauses, params = ["TRUE"], []
    if task_id is not None:
        clauses.append("task_id = %s")
        params.append(task_id)
    if unit is not None:
        if role == "lead":
            clauses.append("lead_unit = %s")
            params.append(unit)
        elif role == "co":
            clauses.append("co_units @> ARRAY[%s]::text[]")
            params.append(unit)
        else:
            clauses.append("(lead_unit = %s OR co_units @> ARRAY[%s]::text[])")
            params += [unit, unit]
    if status is not None:
        clauses.append("status = %s")
        params.append(status)
    if category is not None:
        clauses.append("category = %s")
        params.append(category)
    at = as_of or now
    rows, calendar = states_with_calendar(conn, as_of, where=" AND ".join(clauses), params=tuple(params))
    found = [task_summary(r, at, unit, calendar) for r in rows]
    if overdue is not None:
        found = [t for t in found if t["overdue"] == overdue]
    return sorted(found, key=lambda t: (t["effective_deadline"], t["title"], t["id"]))


BOARD_COLUMNS = ("task_id, title, status, lead_unit, deadline, effective_deadline, percent, feedback_every,"
                 " feedback_since, nullif(milestones, '[]'::jsonb) AS milestones, urgings")
"""What boards and the dashboard read of a state (no milestones: NULL, nothing to decode)."""
BOARD_ORDER = "effective_deadline, title COLLATE \"C\", task_id"
"""A board's order, sorted by PostgreSQL: titles by code point (COLLATE "C"), as Python compares them."""


def board(conn: psycopg.Connection, unit: str, now: datetime, as_of: datetime | None = None) -> dict[str, Any]:
    """A unit's board (部门看板): its tasks as lead or co-unit, with counts by status and overdue."""
    at = as_of or now
    rows, calendar = states_with_calendar(conn, as_of, select=BOARD_COLUMNS, order_by=BOARD_ORDER,
                                          where="lead_unit = %s OR co_units @> ARRAY[%s]::text[]", params=(unit, unit))
    counts = {status: 0 for status in STATUSES}
    counts["overdue"] = 0
    tasks_out = []
    for r in rows:
        counts[r["status"]] += 1
        light, days, left = None, 0, None
        if r["status"] in OPEN_STATUSES:  # closed tasks have no light and are never overdue
            judged = standing(r)
            light, days, left = judged.light(at, calendar.is_working_day), judged.overdue_days(at), judged.days_left(at)
            counts["overdue"] += judged.is_overdue(at)
        tasks_out.append({
            "id": str(r["task_id"]), "title": r["title"], "role": "lead" if r["lead_unit"] == unit else "co",
            "status": r["status"], "deadline": r["deadline"].isoformat(),
            "effective_deadline": r["effective_deadline"].isoformat(), "percent": r["percent"],
            "light": light, "overdue_days": days, "days_left": left, **attention(r, at),
        })
    return {"unit": unit, "as_of": at.astimezone(SHANGHAI).isoformat(), "counts": counts, "tasks": tasks_out}


def dashboard(conn: psycopg.Connection, now: datetime, as_of: datetime | None = None) -> dict[str, Any]:
    """The office dashboard (督办总览): counts by status and light, overdue list, pending decisions."""
    at = as_of or now
    by_status = {status: 0 for status in STATUSES}
    by_unit = {code: {"unit": code, "open": 0, "green": 0, "yellow": 0, "red": 0, "overdue": 0, "urged": 0,
                      "by_status": {status: 0 for status in STATUSES}} for code in UNIT_CODES}
    counts = states_at(conn, as_of, select="lead_unit, status, count(*) AS n", group_by="lead_unit, status")
    open_tasks, calendar = states_with_calendar(conn, as_of, select=BOARD_COLUMNS + ", pending_extension",
                                                where="status = ANY(%s)", params=(list(OPEN_STATUSES),))
    for counted in counts:
        by_status[counted["status"]] += counted["n"]
        by_unit[counted["lead_unit"]]["by_status"][counted["status"]] = counted["n"]
    rows = []
    for r in open_tasks:
        judged = standing(r)
        rows.append({"id": str(r["task_id"]), "title": r["title"], "lead_unit": r["lead_unit"],
                     "status": r["status"], "pending_extension": r["pending_extension"],
                     "light": judged.light(at, calendar.is_working_day), "overdue": judged.is_overdue(at),
                     "overdue_days": judged.overdue_days(at), "urgings": r["urgings"]})
    by_light = {"green": 0, "yellow": 0, "red": 0}
    for t in rows:  # per lead unit: open tasks by light, overdue ones, urged ones
        by_light[t["light"]] += 1
        by_unit[t["lead_unit"]]["open"] += 1
        by_unit[t["lead_unit"]][t["light"]] += 1
        by_unit[t["lead_unit"]]["overdue"] += t["overdue"]
        by_unit[t["lead_unit"]]["urged"] += t["urgings"] > 0
    overdue = sorted((t for t in rows if t["overdue"]), key=lambda t: (-t["overdue_days"], t["title"], t["id"]))
    return {
        "as_of": at.astimezone(SHANGHAI).isoformat(),
        "counts": {"by_status": by_status, "by_light": by_light, "open": len(rows)},
        "units": list(by_unit.values()),
        "overdue": [{"id": t["id"], "title": t["title"], "lead_unit": t["lead_unit"],
                     "overdue_days": t["overdue_days"]} for t in overdue],
        "recent_grants": recent_grants(conn, at),
        "pending_decisions": {
            "extensions": [{"task_id": t["id"], "title": t["title"], "request": t["pending_extension"]}
                           for t in sorted(rows, key=lambda t: (t["title"], t["id"]))
                           if t["pending_extension"] is not None],
            "completions": [{"task_id": t["id"], "title": t["title"], "lead_unit": t["lead_unit"]}
                            for t in sorted(rows, key=lambda t: (t["title"], t["id"]))
                            if t["status"] == "completion_requested"],
        },
    }


GRANT_WINDOW = timedelta(days=30)
WATCHED_ROLES = ("office", "supervisor")


def recent_grants(conn: psycopg.Connection, at: datetime) -> list[dict[str, Any]]:
    """Grants of the office or supervisor role in the 30 days before `at` (accounts opened with one, or
    changed to one), newest first: the office sees who newly holds domain power (三员分立)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT e.position, e.at, e.type, e.data, e.actor_username AS by,"
            " (SELECT r.data->>'username' FROM audit_events r WHERE r.aggregate_id = e.aggregate_id"
            "  AND r.type = 'User.Registered' LIMIT 1) AS username"
            " FROM audit_events e WHERE e.type IN ('User.Registered', 'User.RolesChanged') AND e.at > %s AND e.at <= %s"
            " ORDER BY e.position DESC", (at - GRANT_WINDOW, at)).fetchall()
    grants = []
    for row in rows:
        data = row["data"]
        granted = data.get("roles", []) if row["type"] == "User.Registered" else data.get("granted", [])
        for role in (r for r in granted if r in WATCHED_ROLES):
            grants.append({"position": row["position"], "at": row["at"].astimezone(SHANGHAI).isoformat(), "role": role,
                           "username": row["username"], "by": row["by"], "reason": data.get("reason", "")})
    return grants
