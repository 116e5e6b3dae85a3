"""What the supervisors (督查) watch: the open tasks that call for urging — overdue, on a red or yellow light,
or urged and not yet answered by the lead unit — now or as of a past instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from domain.standing import OPEN_STATUSES
from projections.queries import tasks

LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2}


def urging_replies(conn: psycopg.Connection, as_of: datetime | None = None) -> dict[str, int]:
    """For each task the lead unit has answered: how many urgings its latest reply answers (催办回复)."""
    sql = ("SELECT aggregate_id, max((data->>'urgings')::int) FROM audit_events WHERE type = 'Task.UrgingReplied'"
           + (" AND at <= %s" if as_of is not None else "") + " GROUP BY aggregate_id")
    rows = conn.execute(sql, (as_of,) if as_of is not None else ()).fetchall()
    return {str(task_id): answered or 0 for task_id, answered in rows}


def to_urge(conn: psycopg.Connection, now: datetime, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """督查催办清单: open tasks that are overdue, on a red or yellow light, or urged and unanswered; the most
    pressing first (overdue longest, then red, yellow, unanswered urgings, nearest deadline)."""
    answered = urging_replies(conn, as_of)
    found = []
    for task in tasks(conn, now, as_of=as_of):
        if task["status"] not in OPEN_STATUSES:
            continue
        unanswered = max(0, task["urgings"] - answered.get(task["id"], 0))
        if task["overdue"] or task["light"] in ("red", "yellow") or unanswered:
            found.append({**task, "unanswered_urgings": unanswered})
    return sorted(found, key=lambda t: (-t["overdue_days"], LIGHT_ORDER[t["light"]], -t["unanswered_urgings"],
                                        t["effective_deadline"], t["title"], t["id"]))
