"""Tasks (督办事项): assignment, the register, one task, its history, and every action on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from coordination.authorization import register_unit
from coordination.runner import Outcome
from domain.errors import NotFound
from domain.tasks import Task
from projections import queries
from projections.calendar import calendar_at, calendar_complete_at
from projections.eventlog import EventLog
from projections.task_history import state_of
from projections.tracking import plain
from web import schemas
from web.auth import idempotency_key as key, remember_position
from web.runtime import ledger, pool, views

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="督办事项 / tasks")



def answer(outcome: Outcome) -> dict[str, Any]:
    """The response to a task command: the task as that command left it."""
    remember_position(outcome.position)
    result = outcome.result
    task = next((a for a in outcome.changed if isinstance(a, Task) and str(a.id) == result["id"]), None)
    if task is None or task.version != result["version"]:  # a replay: the task at the version the command left
        task = ledger().task(result["id"], version=result["version"])
    # The task as this change left it, judged at the change's instant (the same on every replay), with the
    # calendar known then: at once when the calendar view is complete up to this command, else after waiting.
    at = datetime.fromisoformat(result["at"])
    with pool().connection() as conn:
        calendar = calendar_complete_at(conn, at, outcome.position)
    if calendar is None:
        with views() as conn:
            calendar = calendar_at(conn, at)
    state = queries.task_summary({**state_of(task), "position": outcome.position}, at, calendar=calendar)
    if "request" in result:
        state["request"] = result["request"]
    return state


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(schemas.TaskFilter, location="query")
    @blp.response(200, schemas.TaskState(many=True))
    def get(self, filters):
        """The task register; a liaison sees its own unit's tasks only."""
        filters["unit"] = register_unit(g.actor, filters["unit"])
        with views() as conn:
            return queries.tasks(conn, ledger().clock.now(), **filters)

    @blp.arguments(schemas.AssignTask)
    @blp.response(201, schemas.TaskState)
    def post(self, body):
        """分工落实: assign a task (office)."""
        return answer(ledger().assign_task(g.actor, idempotency_key=key(), **body))


@blp.route("/<task_id>")
class OneTask(MethodView):
    @blp.arguments(schemas.AsOf, location="query")
    @blp.response(200, schemas.TaskState)
    def get(self, query, task_id):
        """One task, now or as of an instant."""
        task = ledger().task(task_id, g.actor)  # 404 / 403 before reading the views
        with views() as conn:
            found = task_state(conn, task, query["as_of"])
        if found is None:
            raise NotFound(f"task {task_id} did not exist at {query['as_of']}")
        return found


def task_state(conn, task, as_of: datetime | None) -> dict[str, Any] | None:
    """The task as the API shows it: now from the aggregate itself (so a write is visible at once), or as it
    stood at `as_of` from the views (None when it did not exist yet). The task page shows the same."""
    if as_of is None:
        return queries.task_summary({**state_of(task), "position": None}, ledger().clock.now(),
                                    calendar=calendar_at(conn, None))
    found = queries.tasks(conn, ledger().clock.now(), as_of=as_of, task_id=str(task.id))
    return found[0] if found else None


@blp.route("/<task_id>/history")
class History(MethodView):
    @blp.response(200)
    def get(self, task_id):
        """Every event of the task, oldest first."""
        task = ledger().task(task_id, g.actor)
        return [{"type": e.type, "version": e.version, "at": e.at.isoformat(), "actor": e.actor,
                 "data": plain(e.data)} for e in EventLog(ledger()).history(task.id)]


def _action(path: str, schema, status: int, summary: str, run):
    """Register POST /tasks/<id>/<path>: validate the body, run one use case, answer the new state."""

    def view(*args, **kwargs):
        body = args[0] if args else {}
        return answer(run(g.actor, kwargs["task_id"], body))

    view.__name__ = "task_" + path.replace("-", "_").replace("/", "_").replace("<", "").replace(">", "")
    view.__doc__ = summary
    decorated = blp.response(status, schemas.TaskState)(view)
    if schema is not None:
        decorated = blp.arguments(schema)(decorated)
    blp.route(f"/<task_id>/{path}", methods=["POST"])(decorated)


_action("acknowledgements", None, 201, "签收 (liaison of the lead or a co-unit).",
        lambda a, t, b: ledger().acknowledge(a, t, idempotency_key=key()))
_action("progress", schemas.ReportProgress, 201, "报送进展 (liaison of the lead or a co-unit).",
        lambda a, t, b: ledger().report_progress(a, t, idempotency_key=key(), **b))
_action("extension-requests", schemas.RequestExtension, 201, "延期申请 (lead liaison).",
        lambda a, t, b: ledger().request_extension(a, t, idempotency_key=key(), **b))
_action("completion-request", schemas.RequestCompletion, 201, "申请办结 (lead liaison).",
        lambda a, t, b: ledger().request_completion(a, t, idempotency_key=key(), **b))
_action("completion-decision", schemas.DecideCompletion, 200, "办结审核 (office).",
        lambda a, t, b: ledger().decide_completion(a, t, idempotency_key=key(), **b))
_action("urgings", schemas.Urge, 201, "催办 (office, supervisor).",
        lambda a, t, b: ledger().urge(a, t, idempotency_key=key(), **b))
_action("urging-replies", schemas.UrgingReply, 201, "催办回复 (liaison of the lead unit).",
        lambda a, t, b: ledger().reply_to_urging(a, t, idempotency_key=key(), **b))
_action("comments", schemas.Comment, 201, "督查意见 (supervisor).",
        lambda a, t, b: ledger().comment(a, t, idempotency_key=key(), **b))
_action("reassignment", schemas.Reassign, 200, "调整分工 (office).",
        lambda a, t, b: ledger().reassign(a, t, idempotency_key=key(), **b))
_action("cancellation", schemas.Cancel, 200, "撤销 (office).",
        lambda a, t, b: ledger().cancel(a, t, idempotency_key=key(), **b))


@blp.route("/<task_id>/extension-requests/<int:number>/decision", methods=["POST"])
@blp.arguments(schemas.DecideExtension)
@blp.response(200, schemas.TaskState)
def decide_extension(body, task_id, number):
    """审批延期 (office)."""
    return answer(ledger().decide_extension(g.actor, task_id, number, idempotency_key=key(), **body))
