"""The task-history view: each state of each task with the instant it began and ended.

The state is the domain's own: each event is applied to the Task aggregate with the event's own
`mutate`, exactly as the write side does, so the view can never disagree with the aggregate. Boards,
the dashboard and the report read the current states (also kept compactly in `tasks_now`) or the
states valid at an instant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from eventsourcing.application import Application

from domain.tasks import Task
from projections.eventlog import LoggedEvent, topics_of
from projections.replay import Replayer
from projections.storable import storable_text
from projections.tracking import plain, to_json

COLUMNS = (
    "task_id", "version", "position", "valid_from", "valid_to", "event_type", "title", "category", "source", "status",
    "lead_unit", "co_units", "acknowledged", "deadline", "effective_deadline", "percent", "milestones",
    "feedback_every", "feedback_since", "assigned_at", "pending_extension", "completion_requested_at",
    "completion_on_time", "closed_at", "urgings", "ended_by",
)
VALID_FROM = COLUMNS.index("valid_from")
VALID_TO = COLUMNS.index("valid_to")
ENDED_BY = COLUMNS.index("ended_by")
NOW_COLUMNS = [c for c in COLUMNS if c not in ("valid_to", "ended_by")]
UPSERT_NOW = (
    f"INSERT INTO tasks_now ({', '.join(NOW_COLUMNS)}) VALUES ({', '.join(['%s'] * len(NOW_COLUMNS))})"
    f" ON CONFLICT (task_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in NOW_COLUMNS[1:])}"
)


class TaskHistory:
    name = "task_history"
    topics = topics_of(Task)
    tables = ("task_versions", "tasks_now")

    def __init__(self, ledger: Application):
        self.replayer = Replayer(ledger)

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        """One COPY for the batch's new states; each state ends where the task's next one begins."""
        rows: list[list[Any]] = []
        latest: dict[Any, int] = {}
        ends_of_stored: list[tuple[Any, Any]] = []
        for event in events:
            if event.aggregate_type != "Task":
                continue
            task = self.replayer.state_after(event)
            if event.aggregate_id in latest:
                # Never before the state's own start (an instant recorded out of order must not stop the view).
                previous = rows[latest[event.aggregate_id]]
                previous[VALID_TO] = max(event.at, previous[VALID_FROM])
                rows[latest[event.aggregate_id]][ENDED_BY] = event.position
            elif event.version > 1:
                ends_of_stored.append((event.at, event.position, event.aggregate_id))
            latest[event.aggregate_id] = len(rows)
            rows.append(row(task, event))
        if not rows:
            return
        with conn.cursor() as cur:
            if ends_of_stored:
                cur.executemany("UPDATE task_versions SET valid_to = greatest(%s, valid_from), ended_by = %s"
                                " WHERE task_id = %s AND valid_to IS NULL", ends_of_stored)
            with cur.copy(f"COPY task_versions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
            current = [[v for i, v in enumerate(rows[at]) if i not in (VALID_TO, ENDED_BY)] for at in latest.values()]
            cur.executemany(UPSERT_NOW, current)

    def discard(self) -> None:
        self.replayer.discard()


def state_of(task: Task, json_value: Callable[[Any], Any] = plain) -> dict[str, Any]:
    """A task's state with the views' column names; JSON columns made by `json_value` (plain JSON values,
    or JSON text for COPY)."""
    pending = task.pending_extension
    completion = task.completion or {}
    return {
        "task_id": task.id, "version": task.version, "title": storable_text(task.title), "category": task.category,
        "source": json_value(task.source), "status": task.status, "lead_unit": task.lead_unit,
        "co_units": list(task.co_units), "acknowledged": sorted(task.acknowledged), "deadline": task.deadline,
        "effective_deadline": task.effective_deadline, "percent": task.percent,
        "milestones": json_value(task.milestones), "feedback_every": task.feedback_every,
        "feedback_since": task.standing.feedback_since, "assigned_at": task.assigned_at,
        "pending_extension": pending["request"] if pending else None,
        "completion_requested_at": completion.get("requested_at"), "completion_on_time": completion.get("on_time"),
        "closed_at": task.closed_at, "urgings": task.urgings,
    }


def row(task: Task, event: LoggedEvent) -> list[Any]:
    """The task_versions row of the state `event` left the task in (valid until its next event)."""
    values = {**state_of(task, to_json), "position": event.position, "valid_from": event.at, "valid_to": None,
              "event_type": event.type, "ended_by": None}
    return [values[column] for column in COLUMNS]
