"""The task-history view: each state of each task with the instant it began and ended.

The state is the domain's own: each event is applied to the Task aggregate with the event's own
`mutate`, exactly as the write side does, so the view can never disagree with the aggregate. Boards,
the dashboard and the report read current rows (valid_to IS NULL) or the rows valid at an instant.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from coordination.application import Ledger, LoggedEvent
from domain.tasks import Task
from projections.replay import Replayer
from projections.tracking import plain

COLUMNS = (
    "task_id", "version", "position", "valid_from", "event_type", "title", "category", "source", "status",
    "lead_unit", "co_units", "acknowledged", "deadline", "effective_deadline", "percent", "milestones",
    "feedback_every", "feedback_since", "assigned_at", "pending_extension", "completion_requested_at",
    "completion_on_time", "closed_at", "urgings",
)
INSERT = f"INSERT INTO task_versions ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"


class TaskHistory:
    name = "task_history"
    tables = ("task_versions",)

    def __init__(self, ledger: Ledger):
        self.replayer = Replayer(ledger)

    def apply(self, conn: psycopg.Connection, event: LoggedEvent) -> None:
        if event.aggregate_type != "Task":
            return
        task = self.replayer.state_after(event)
        conn.execute("UPDATE task_versions SET valid_to = %s WHERE task_id = %s AND valid_to IS NULL",
                      (event.at, event.aggregate_id))
        conn.execute(INSERT, row(task, event))

    def discard(self) -> None:
        self.replayer.discard()


def row(task: Task, event: LoggedEvent) -> tuple[Any, ...]:
    pending = task.pending_extension
    completion = task.completion or {}
    return (
        task.id, task.version, event.position, event.at, event.type, task.title, task.category,
        Jsonb(plain(task.source)), task.status, task.lead_unit, list(task.co_units),
        sorted(task.acknowledged), task.deadline, task.effective_deadline, task.percent,
        Jsonb(plain(task.milestones)), task.feedback_every, task.standing.feedback_since, task.assigned_at,
        pending["request"] if pending else None, completion.get("requested_at"), completion.get("on_time"),
        task.closed_at, task.urgings,
    )
