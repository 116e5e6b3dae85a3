"""督办台账 and 分工落实 pages: the task register with the API's filters (now or as of an instant, and as a
spreadsheet), and the office's form that assigns a task — from a resolution (议定事项), a work plan (工作方案) or a
leader's instruction — to a lead unit and co-units, with a deadline or a number of working days, milestones and
a feedback cadence. The task's own page (/tasks/<id>) lives elsewhere; this module links to it.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request

from coordination.authorization import oversees, register_unit, require_role
from domain.calendar import MAX_WORKING_DAYS
from domain.categories import CATEGORIES
from domain.charter import UNITS_BY_CODE
from domain.deadlines import FEEDBACK_MONTHS, SHANGHAI
from domain.standing import OPEN_STATUSES, STATUSES
from projections import queries, registers
from web import exports, forms, meeting_forms, schemas
from web.pages import LIGHT_NAMES, STATUS_NAMES, as_of_argument, signed_in
from web.pages_office import unit_options
from web.runtime import ledger, views

blp = Blueprint("register_pages", __name__)

FEEDBACK_NAMES = {"month": "每月", "quarter": "每季度", "half-year": "每半年"}
SOURCE_NAMES = {"resolution": "会议议定事项", "plan": "工作方案", "instruction": "领导批示"}
FILTERS = schemas.TaskFilter(exclude=("as_of",))
CALENDAR_NAMES = {"statutory": "国家法定节假日安排", "office": "办公室录入的节假日安排", "weekdays": "周一至周五(暂无法定安排)"}


def _filters() -> tuple[dict, dict[str, list[str]]]:
    """The register's filters from the query string, checked by the API's own schema."""
    try:
        return forms.load(FILTERS, forms.fields_of(FILTERS, request.args)), {}
    except forms.FormInvalid as invalid:
        return {"unit": None, "role": None, "status": None, "overdue": None, "category": None}, invalid.errors


@blp.get("/tasks")
@signed_in
def register():
    """督办台账: tasks by unit, role, status, overdue and category; a liaison sees its own unit's only."""
    chosen, errors = _filters()
    chosen["unit"] = register_unit(g.actor, chosen["unit"])
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        found = queries.tasks(conn, ledger().clock.now(), as_of=as_of, **chosen)
    keep = {k: v for k, v in request.args.items() if k in FILTERS.fields and v}
    export = {**keep, **({"as_of": as_of.isoformat()} if as_of else {})}
    return render_template(
        "office/register.html", tasks=found, as_of=as_of, errors=errors, keep=keep, export=export,
        pick_unit=oversees(g.actor), unit_options=unit_options(), units=UNITS_BY_CODE, status_names=STATUS_NAMES,
        light_names=LIGHT_NAMES, categories=CATEGORIES, status_options=[(s, STATUS_NAMES[s]) for s in STATUSES],
        may_assign=g.actor.has("office"), open_statuses=OPEN_STATUSES), 422 if errors else 200


@blp.get("/tasks/export.xlsx")
@signed_in
def export():
    """督办台账 as a spreadsheet, with the page's filters (the same workbook as the API's)."""
    chosen, errors = _filters()
    if errors:
        return register()
    chosen["unit"] = register_unit(g.actor, chosen["unit"])
    query = {**chosen, "as_of": as_of_argument()}
    now = ledger().clock.now()
    with views(up_to_date=True) as conn:
        found = queries.tasks(conn, now, **query)
    return exports.register_document(found, query, now)


@blp.route("/tasks/new", methods=["GET", "POST"])
@signed_in
def new_task():
    """分工落实 (office): a task from a resolution, a plan or an instruction; 计算 shows a working-day deadline."""
    require_role(g.actor, "office")
    with views(up_to_date=True) as conn:
        resolutions = registers.resolutions(conn)
    chosen = request.values.get("resolution") or request.form.get("source.resolution_id")
    resolution = next((r for r in resolutions if r["id"] == chosen), None)
    errors: dict[str, list[str]] = {}
    hint = None
    if request.method == "POST":
        try:
            hint = _working_day_hint()
            if request.form.get("action") != "compute":
                body, where = _assignment()
                try:
                    created = forms.run(ledger().assign_task, g.actor, **body)
                except forms.FormInvalid as invalid:
                    raise forms.FormInvalid(meeting_forms.renamed(invalid.errors, where)) from None
                return redirect(f"/tasks/{created.result['id']}")
        except forms.FormInvalid as invalid:
            errors = invalid.errors
    options = [(r["id"], f"{r['minutes_number']} 第{r['item'] + 1}项:{r['title']}〔{CATEGORIES[r['category']]}〕"
                         f"(已分解 {len(r['tasks'])} 项)") for r in resolutions]
    return render_template(
        "office/new_task.html", errors=errors, hint=hint, resolution=resolution, resolution_options=options,
        source_options=list(SOURCE_NAMES.items()), unit_options=unit_options(), categories=list(CATEGORIES.items()),
        feedback_options=[(k, FEEDBACK_NAMES[k]) for k in FEEDBACK_MONTHS], max_days=MAX_WORKING_DAYS,
        milestone_rows=meeting_forms.rows(request.form, "milestone_rows", 12, default=3),
    ), 422 if errors else 200


def _working_day_hint() -> str | None:
    """The date a number of working days falls on, counted by the ledger's calendar from the day after today."""
    raw = request.form.get("deadline_in_working_days", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKING_DAYS:
        raise forms.FormInvalid({"deadline_in_working_days": [f"请填写 1 到 {MAX_WORKING_DAYS} 之间的整数"]})
    due, rule = ledger().deadline_in_working_days(int(raw), ledger().clock.now())
    today = ledger().clock.now().astimezone(SHANGHAI).date()
    used = "、".join(f"{year} 年按{CALENDAR_NAMES.get(source, source)}" for year, source in rule["calendar"].items())
    weekday = "一二三四五六日"[due.weekday()]
    return f"自 {today.isoformat()} 的次日起算 {raw} 个工作日,期限为 {due.isoformat()}(星期{weekday});{used}。"


def _assignment() -> tuple[dict, dict[str, str]]:
    """The form as the API's body: source, milestone rows and the plain fields, checked by AssignTask."""
    form = request.form
    kind = form.get("source.kind", "")
    if kind == "resolution":
        if not form.get("source.resolution_id"):
            raise forms.FormInvalid({"source.resolution_id": ["请选择议定事项"]})
        source = {"kind": kind, "resolution_id": form["source.resolution_id"]}
    else:
        source = {"kind": kind, "reference": form.get("source.reference", "")}
    milestones, where = meeting_forms.milestones(form)
    data = {**forms.fields_of(schemas.AssignTask()), "source": source}
    if milestones:
        data["milestones"] = milestones
    try:
        return forms.load(schemas.AssignTask(), data), where
    except forms.FormInvalid as invalid:
        raise forms.FormInvalid(meeting_forms.renamed(invalid.errors, where)) from None
