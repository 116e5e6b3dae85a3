"""Tasks (督办事项): assignment, the register, one task, its history, and every action on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from coordination.application import Outcome
from domain.errors import NotFound, NotPermitted
from domain.tasks import Task
from projections import queries
from web import schemas
from web.auth import authenticate, remember_position
from web.runtime import ledger, views

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="督办事项 / tasks")


@blp.before_request
def _authenticate() -> None:
    authenticate()


def key() -> str | None:
    return request.headers.get("Idempotency-Key")


def task_state(task: Task, at: datetime) -> dict[str, Any]:
    """The task as a change left it, judged at that change's instant (the same on every replay)."""
    judged = task.standing
    return {
        "id": str(task.id), "title": task.title, "status": task.status, "category": task.category,
        "lead_unit": task.lead_unit, "co_units": list(task.co_units), "deadline": task.deadline.isoformat(),
        "effective_deadline": task.effective_deadline.isoformat(), "percent": task.percent,
        "light": judged.light(at), "overdue": judged.is_overdue(at), "overdue_days": judged.overdue_days(at),
        "source": {k: str(v) for k, v in task.source.items()},
        "milestones": [{**m, "due": m["due"].isoformat()} for m in task.milestones],
        "feedback_every": task.feedback_every, "acknowledged": sorted(task.acknowledged),
        "pending_extension": (task.pending_extension or {}).get("request"), "version": task.version,
    }


def answer(outcome: Outcome) -> dict[str, Any]:
    """The response to a task command: the task as that command left it."""
    remember_position(outcome.position)
    result = outcome.result
    task = ledger().task(result["id"], version=result["version"])
    state = task_state(task, datetime.fromisoformat(result["at"]))
    if "request" in result:
        state["request"] = result["request"]
    return state


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(schemas.TaskFilter, location="query")
    @blp.response(200, schemas.TaskState(many=True))
    def get(self, filters):
        """The task register; a liaison sees its own unit's tasks only."""
        actor = g.actor
        if not (actor.has("office") or actor.has("supervisor")):
            if not actor.has("liaison"):
                raise NotPermitted("the task register is for the office, supervisors and liaisons")
            if filters["unit"] not in (None, actor.unit):
                raise NotPermitted("a liaison sees only its own unit's tasks")
            filters["unit"] = actor.unit
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
            found = queries.tasks(conn, ledger().clock.now(), as_of=query["as_of"], task_id=str(task.id))
        if not found:
            raise NotFound(f"task {task_id} did not exist at {query['as_of']}")
        return found[0]


@blp.route("/<task_id>/history")
class History(MethodView):
    @blp.response(200)
    def get(self, task_id):
        """Every event of the task, oldest first."""
        return [{"type": e.type, "version": e.version, "at": e.at.isoformat(), "actor": e.actor,
                 "data": _jsonable(e.data)} for e in ledger().history(task_id, g.actor)]


def _jsonable(data: dict[str, Any]) -> Any:
    from projections.tracking import plain

    return plain(data)


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
