"""The half-yearly supervision report's figures, exactly as DESIGN.md ("Report figures") defines them.

For period P and as_of = min(end of P, now), computed from the audit index and the task-history view,
using only events at log positions ≤ `upto`, so that a frozen report can be regenerated exactly.
"In P" means at an instant in [start of P, period end) — or up to and including now, for a report as
of now; a state "at the period end" is the state just before it, so an event at the period's first
excluded instant belongs to the next period.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.categories import CATEGORY_CODES
from domain.deadlines import SHANGHAI
from domain.reports import Period
from domain.standing import OPEN_STATUSES, urging_level
from domain.charter import UNIT_CODES
from projections.queries import standing
from projections.tracking import common_position

JUST_BEFORE = timedelta(microseconds=1)
STATE_COLUMNS = ("task_id, title, category, status, lead_unit, co_units, effective_deadline, feedback_every,"
                 " feedback_since, closed_at, completion_on_time, percent, nullif(milestones, '[]'::jsonb) AS milestones,"
                 " urgings")
ADDED_FIELDS = ("missed_milestones", "urging_escalations")
"""Problem lists added by issue 13 beside the contract's figures; a report issued before them has none."""


def supervision_report(conn: psycopg.Connection, period: Period, now: datetime, *,
                       upto: int | None = None) -> dict[str, Any]:
    as_of = period.as_of(now)
    upto = common_position(conn) if upto is None else upto
    # "In P" ends at the period's first excluded instant, or, for a report as of now, just after now:
    # what happened at this very instant has happened.
    until = as_of if as_of == period.end else as_of + JUST_BEFORE
    # Only tasks not closed before P matter: completions and urgings in P happen on tasks open at that
    # moment (closed_at ≥ start also keeps one urged at P's first instant and closed in the same instant).
    states = {row["task_id"]: row for row in _states_not_closed_before(conn, until - JUST_BEFORE, upto, period.start)}

    def events(kind: str, fact: str = "NULL") -> list[dict[str, Any]]:
        """Events of one type in P up to `upto`, with one fact taken from their data."""
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                f"SELECT aggregate_id, {fact} AS fact FROM audit_events"
                " WHERE type = %s AND position <= %s AND at >= %s AND at < %s ORDER BY position",
                (kind, upto, period.start, until),
            ).fetchall()

    meetings = _meetings_held(conn, period, until, upto)
    assigned = events("Task.Assigned", "data->>'category'")
    completions = [e for e in events("Task.CompletionDecided", "(data->>'accepted')::boolean") if e["fact"]]
    extensions = [e for e in events("Task.ExtensionDecided", "(data->>'approved')::boolean") if e["fact"]]
    urgings = events("Task.Urged")

    open_now = [s for s in states.values() if s["status"] in OPEN_STATUSES]
    overdue = [s for s in open_now if standing(s).is_overdue(as_of)]
    completed = [states[e["aggregate_id"]] for e in completions]

    def lead(task_id: Any) -> str:
        return states[task_id]["lead_unit"]

    in_p = [s for s in states.values() if s["closed_at"] is None or s["closed_at"] > period.start]
    # Each figure counted in one pass over the states, then read per unit.
    lead_tasks = Counter(s["lead_unit"] for s in in_p)
    co_tasks = Counter(code for s in in_p for code in set(s["co_units"]))
    done_by = Counter(s["lead_unit"] for s in completed)
    on_time_by = Counter(s["lead_unit"] for s in completed if s["completion_on_time"])
    overdue_of = Counter(s["lead_unit"] for s in overdue)
    urged = Counter(lead(e["aggregate_id"]) for e in urgings)
    units = []
    for code in UNIT_CODES:
        done, on_time = done_by[code], on_time_by[code]
        units.append({
            "unit": code,
            "lead_tasks": lead_tasks[code],
            "co_tasks": co_tasks[code],
            "completed": done,
            "completed_on_time": on_time,
            "overdue": overdue_of[code],
            "on_time_rate": round(on_time / done, 4) if done else None,
            "urgings_received": urged[code],
        })

    assigned_by = Counter(e["fact"] for e in assigned)
    completed_by = Counter(s["category"] for s in completed)
    overdue_by = Counter(s["category"] for s in overdue)
    lights = Counter(standing(s).light(as_of) for s in open_now)
    return {
        "period": period.code,
        "as_of": as_of.astimezone(SHANGHAI).isoformat(),
        "log_position": upto,
        "totals": {
            "meetings_held": len(meetings),
            "plenary_meetings": sum(m["kind"] == "plenary" for m in meetings),
            "office_meetings": sum(m["kind"] == "office" for m in meetings),
            "resolutions_adopted": len(events("Resolution.Adopted")),
            "tasks_assigned": len(assigned),
            "tasks_completed": len(completed),
            "tasks_completed_on_time": sum(bool(s["completion_on_time"]) for s in completed),
            "tasks_overdue": len(overdue),
            "tasks_in_progress": len(open_now),
            "extensions_approved": len(extensions),
            "urgings": len(urgings),
        },
        "units": units,
        "categories": [{"category": c, "assigned": assigned_by[c], "completed": completed_by[c],
                        "overdue": overdue_by[c]} for c in CATEGORY_CODES],
        "lights": {light: lights[light] for light in ("red", "yellow", "green")},
        "problems": sorted(
            ({"task_id": str(s["task_id"]), "title": s["title"], "lead_unit": s["lead_unit"],
              "overdue_days": standing(s).overdue_days(as_of)} for s in overdue),
            key=lambda p: (-p["overdue_days"], p["lead_unit"], p["task_id"]),
        ),
        "missed_milestones": _missed_milestones(open_now, as_of),
        "urging_escalations": _urging_escalations(states, {e["aggregate_id"] for e in urgings}),
    }


def _states_not_closed_before(conn: psycopg.Connection, at: datetime, upto: int, start: datetime) -> list[dict[str, Any]]:
    """`states_at(conn, at, upto=upto, where="closed_at IS NULL OR closed_at >= start")`, read by three indexes.

    The states valid at `at` are mostly the final states of tasks closed years before; the filter drops them,
    but only after reading them. Split three ways, each part disjoint from the others and read by its own
    index (migration 0030): open states valid at `at`; states closed at or after `start`; open states that
    ended after `upto` (the log at `upto` did not know their end yet).
    """
    common = "valid_from <= %(at)s AND position <= %(upto)s"
    valid = "tstzrange(valid_from, valid_to, '[)') @> %(at)s::timestamptz"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {STATE_COLUMNS} FROM task_versions WHERE closed_at IS NULL AND {valid} AND {common}"
            f" UNION ALL SELECT {STATE_COLUMNS} FROM task_versions WHERE closed_at >= %(start)s AND {common}"
            f"   AND ({valid} OR ended_by > %(upto)s)"
            f" UNION ALL SELECT {STATE_COLUMNS} FROM task_versions WHERE closed_at IS NULL AND ended_by > %(upto)s"
            f"   AND NOT {valid} AND {common}",
            {"at": at, "upto": upto, "start": start}).fetchall()


def _missed_milestones(open_now: list[dict[str, Any]], as_of: datetime) -> list[dict[str, Any]]:
    """阶段目标未达成: open tasks at as_of with a milestone whose date passed and whose target is not reached."""
    found = []
    for s in open_now:
        for m in standing(s).missed_milestones(as_of):
            found.append({"task_id": str(s["task_id"]), "title": s["title"], "lead_unit": s["lead_unit"],
                          "due": m["due"], "target_percent": m["target_percent"], "percent": s["percent"],
                          "description": m.get("description", "")})
    return sorted(found, key=lambda m: (m["due"], m["lead_unit"], m["task_id"]))


def _urging_escalations(states: dict[Any, dict[str, Any]], urged_in_p: set[Any]) -> list[dict[str, Any]]:
    """二次催办 and 约谈/通报 candidates: tasks urged in P that had been urged at least twice by as_of."""
    found = [{"task_id": str(s["task_id"]), "title": s["title"], "lead_unit": s["lead_unit"],
              "urgings": s["urgings"], "urging_level": urging_level(s["urgings"])}
             for task_id, s in states.items() if task_id in urged_in_p and s["urgings"] >= 2]
    return sorted(found, key=lambda u: (-u["urgings"], u["lead_unit"], u["task_id"]))


def _meetings_held(conn: psycopg.Connection, period: Period, until: datetime, upto: int) -> list[dict[str, Any]]:
    """Meetings whose minutes were issued by as_of (before `until`) and whose meeting date lies in P."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT scheduled.data->>'kind' AS kind, (scheduled.data->>'date')::date AS date"
            " FROM audit_events issued JOIN audit_events scheduled"
            "   ON scheduled.aggregate_id = issued.aggregate_id AND scheduled.type = 'Meeting.Scheduled'"
            " WHERE issued.type = 'Meeting.MinutesIssued' AND issued.position <= %s AND issued.at < %s"
            "   AND (scheduled.data->>'date')::date >= (%s AT TIME ZONE 'Asia/Shanghai')::date"
            "   AND (scheduled.data->>'date')::date < (%s AT TIME ZONE 'Asia/Shanghai')::date",
            (upto, until, period.start, period.end),
        ).fetchall()
