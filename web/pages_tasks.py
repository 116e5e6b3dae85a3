"""The task page (督办事项) with its whole timeline, now or as of an instant; each action the state and the
reader's role allow, as a small form; evidence files for people (uploaded with a form, downloaded by link).

Every action runs the same use case as the API (web.runtime.ledger()); what the page offers is only a
reading of the state — the ledger still decides, and a refusal comes back as a 409 page with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from domain.charter import UNITS_BY_CODE
from domain.errors import InvalidValue, NotPermitted
from domain.tasks import Task
from projections import registers
from projections.eventlog import EventLog
from web import forms, schemas
from web.api_tasks import task_state
from web.api_files import download
from web.pages import LIGHT_NAMES, STATUS_NAMES, as_of_argument, signed_in
from web.runtime import ledger, views

blp = Blueprint("tasks_pages", __name__)


@dataclass(frozen=True)
class Action:
    """One action on a task as a page form: its schema, its use case, what the page says once it is done."""

    label: str
    schema: type | None
    command: Callable[..., Any]
    done: str
    files: bool = False


def _decide_extension(actor, task_id, *, idempotency_key, **body):
    number = request.form.get("request", "")
    if not number.isdigit():
        raise InvalidValue("request", "not a request number")
    return ledger().decide_extension(actor, task_id, int(number), idempotency_key=idempotency_key, **body)


ACTIONS: dict[str, Action] = {
    "acknowledge": Action("签收", None, lambda *a, **k: ledger().acknowledge(*a, **k), "已签收。"),
    "report_progress": Action("反馈进展", schemas.ReportProgress, lambda *a, **k: ledger().report_progress(*a, **k),
                              "进展已报送。", files=True),
    "request_extension": Action("申请延期", schemas.RequestExtension,
                                lambda *a, **k: ledger().request_extension(*a, **k), "延期申请已提交,等待审批。"),
    "request_completion": Action("申请办结", schemas.RequestCompletion,
                                 lambda *a, **k: ledger().request_completion(*a, **k), "办结申请已提交,等待审核。",
                                 files=True),
    "reply_to_urging": Action("催办回复", schemas.UrgingReply, lambda *a, **k: ledger().reply_to_urging(*a, **k),
                              "催办回复已提交。"),
    "decide_extension": Action("审批延期", schemas.DecideExtension, _decide_extension, "延期申请已审批。"),
    "decide_completion": Action("审核办结", schemas.DecideCompletion,
                                lambda *a, **k: ledger().decide_completion(*a, **k), "办结申请已审核。"),
    "urge": Action("催办", schemas.Urge, lambda *a, **k: ledger().urge(*a, **k), "已催办。"),
    "comment": Action("督查意见", schemas.Comment, lambda *a, **k: ledger().comment(*a, **k), "督查意见已记录。"),
    "reassign": Action("调整分工", schemas.Reassign, lambda *a, **k: ledger().reassign(*a, **k), "分工已调整。"),
    "cancel": Action("撤销", schemas.Cancel, lambda *a, **k: ledger().cancel(*a, **k), "事项已撤销。"),
}


def offered(task: Task, actor) -> list[str]:
    """The actions the page offers this reader in the task's current state (a reading; the ledger decides)."""
    found: list[str] = []
    open_ = task.is_open
    if actor.has("liaison"):
        role = task.role_of(actor.unit)
        acknowledged = actor.unit in task.acknowledged
        if open_ and role and not acknowledged and (role == "co" or task.status == "assigned"):
            found.append("acknowledge")
        if task.status == "in_progress" and role and acknowledged:
            found.append("report_progress")
        if role == "lead" and task.status in ("assigned", "in_progress") and task.pending_extension is None \
                and not task.is_overdue(ledger().clock.now()):
            found.append("request_extension")
        if role == "lead" and task.status == "in_progress":
            found.append("request_completion")
        if role == "lead" and task.urgings:
            found.append("reply_to_urging")
    if actor.has("office"):
        if open_ and task.pending_extension is not None:
            found.append("decide_extension")
        if task.status == "completion_requested":
            found.append("decide_completion")
    if (actor.has("office") or actor.has("supervisor")) and open_:
        found.append("urge")
    if actor.has("supervisor"):
        found.append("comment")
    if actor.has("office") and open_:
        if task.status != "completion_requested":
            found.append("reassign")
        found.append("cancel")
    return found


def readable_task(task_id: str) -> Task:
    """The task, if this reader may read it; otherwise 404 — nobody learns that another unit's task exists."""
    try:
        return ledger().task(task_id, g.actor)
    except NotPermitted:
        abort(404)


def _page_of(prefix: str) -> str | None:
    """The path of a page for one meeting or resolution, where the app has one (built by the meeting pages)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(prefix + "<") and rule.rule.count("<") == 1 and "GET" in (rule.methods or ()):
            return rule.rule.split("<", 1)[0]
    return None


def render_task(task_id: str, *, failed: str | None = None, errors: dict | None = None,
                evidence: list[dict[str, str]] | None = None, status: int = 200):
    """The task page; after a refused form, with that form open, its errors beside its fields, its input kept."""
    task = readable_task(task_id)
    as_of = as_of_argument() if failed is None else None
    with views(up_to_date=True) as conn:
        summary = task_state(conn, task, as_of)
        chain = registers.task_chain(conn, task.id) if task.source.get("kind") == "resolution" else None
    history = [e for e in EventLog(ledger()).history(task.id) if as_of is None or e.at <= as_of]
    meeting_page, resolution_page = _page_of("/meetings/"), _page_of("/resolutions/")
    return render_template(
        "task.html", task=task, summary=summary, history=history, as_of=as_of, chain=chain,
        meeting_page=meeting_page, resolution_page=resolution_page,
        actions=[] if as_of else offered(task, g.actor), labels={k: a.label for k, a in ACTIONS.items()},
        failed=failed, errors=errors or {}, kept_evidence=evidence or [], unit_names=UNITS_BY_CODE,
        unit_options=[(u.code, u.name) for u in UNITS_BY_CODE.values()],
        upload_limit_mb=ledger().upload_limit // (1024 * 1024), status_names=STATUS_NAMES, light_names=LIGHT_NAMES), status


@blp.get("/tasks/<task_id>")
@signed_in
def task(task_id):
    """督办事项: the task, its milestones and whole timeline, and the actions open to the reader."""
    return render_task(task_id)


def _evidence_of_form() -> list[dict[str, str]]:
    """Files named on the form: those kept from a refused submit, then the newly chosen ones, uploaded now
    through the same use case as POST /api/v1/files."""
    evidence = [{"sha256": kept.split("|", 1)[0], "name": kept.split("|", 1)[-1]}
                for kept in request.form.getlist("evidence_kept") if kept]
    for file in request.files.getlist("files"):
        if not file or not file.filename:
            continue  # a file input left empty
        try:
            stored = ledger().store_file(g.actor, name=file.filename, content=file.read(), content_type=file.mimetype)
        except InvalidValue as refused:
            raise forms.FormInvalid({"files": [forms.chinese(m) for ms in refused.errors.values() for m in ms]}) from None
        evidence.append({"name": stored["name"], "sha256": stored["sha256"]})
    return evidence


def _act(name: str):
    action = ACTIONS[name]

    def view(task_id):
        readable_task(task_id)
        evidence: list[dict[str, str]] = []
        try:
            if action.files:  # first, so that a refusal of another field keeps the files already uploaded
                evidence = _evidence_of_form()
            body = forms.read(action.schema()) if action.schema else {}
            if action.files:
                body["evidence"] = evidence
            forms.run(action.command, g.actor, task_id, **body)
        except forms.FormInvalid as invalid:
            errors = {("files" if field.startswith("evidence") else field): ms for field, ms in invalid.errors.items()}
            return render_task(task_id, failed=name, errors=errors, evidence=evidence, status=422)
        flash(action.done)
        return redirect(url_for(".task", task_id=task_id))

    view.__name__ = name
    view.__doc__ = f"{action.label}: the form's one use case, then back to the task page."
    blp.add_url_rule(f"/tasks/<task_id>/{name.replace('_', '-')}", name, signed_in(view), methods=["POST"])


for _name in ACTIONS:
    _act(_name)


@blp.get("/files/<sha256>")
@signed_in
def evidence_file(sha256):
    """佐证材料: the file, for its uploader and whoever may read a task that names it (else 404)."""
    return download(ledger().evidence_file(g.actor, sha256))


@blp.app_template_filter("local_time")
def local_time(instant) -> str:
    """An instant as Beijing wall-clock time, to the minute."""
    from domain.deadlines import SHANGHAI

    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
