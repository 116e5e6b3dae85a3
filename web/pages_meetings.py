"""Pages of meetings (会议) and resolutions (议定事项): the meeting register, scheduling with the agenda's topics,
a meeting's page (now or as of an instant) with its resolutions and their tasks, attendance (出席、缺席、列席),
the minutes editor (会议纪要: items, categories, outcome, dissent), issuing with a confirmation step (印发) and
corrections after issue (勘误); and the register of resolutions. The chain 会议 → 议定事项 → 任务 is browsable.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from coordination.authorization import oversees, require_role
from domain.categories import CATEGORIES
from domain.charter import UNITS_BY_CODE
from domain.deadlines import SHANGHAI
from domain.meetings import MINUTES_ISSUED, SCHEDULED
from domain.topics import ACCEPTED
from projections import group, registers
from web import forms, meeting_forms, schemas
from web.meeting_forms import ATTENDANCE_CHOICES
from web.pages import STATUS_NAMES, as_of_argument, signed_in
from web.pages_office import unit_options
from web.runtime import ledger, views

blp = Blueprint("meetings_pages", __name__)

KIND_NAMES = {"plenary": "全体会议", "office": "办公室成员工作会议"}
MEETING_STATUS_NAMES = {"scheduled": "已安排", "held": "已召开", "minutes_drafted": "纪要起草中",
                        "minutes_issued": "纪要已印发"}
OUTCOME_NAMES = {"agreed": "议定(协商一致)", "deferred": "暂缓(有不同意见或再议)"}
NAMES = {"kind_names": KIND_NAMES, "meeting_status_names": MEETING_STATUS_NAMES, "outcome_names": OUTCOME_NAMES,
         "categories": CATEGORIES, "units": UNITS_BY_CODE, "status_names": STATUS_NAMES}


def _overseer() -> None:
    if not oversees(g.actor):
        abort(403)


def _page(template: str, errors: dict | None = None, **context):
    return render_template(f"meetings/{template}", errors=errors or {}, **NAMES, **context), 422 if errors else 200


@blp.get("/meetings")
@signed_in
def meetings():
    """会议台账: every meeting, newest first — now or as of an instant."""
    _overseer()
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        found = registers.meetings(conn, as_of)
    return _page("list.html", meetings=found, as_of=as_of, may_schedule=g.actor.has("office"))


@blp.route("/meetings/new", methods=["GET", "POST"])
@signed_in
def schedule():
    """安排会议 (office): kind, date, place, chair, and accepted topics for its agenda."""
    require_role(g.actor, "office")
    with views(up_to_date=True) as conn:
        accepted = [t for t in group.topics(conn) if t["status"] == ACCEPTED]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            body = forms.read(schemas.ScheduleMeeting())
            created = forms.run(ledger().schedule_meeting, g.actor, **body)
        except forms.FormInvalid as invalid:
            errors = meeting_forms.renamed(invalid.errors, {f"topics.{i}": "topics" for i in range(50)})
        else:
            return redirect(url_for("meetings_pages.meeting", meeting_id=created.result["id"]))
    options = [(t["id"], f"{t['title']}({UNITS_BY_CODE[t['proposed_by']].short_name})") for t in accepted]
    return _page("schedule.html", errors, topics=options, chosen_topics=request.args.getlist("topic"))


@blp.get("/meetings/<meeting_id>")
@signed_in
def meeting(meeting_id: str):
    """一次会议: agenda, attendance, minutes, corrections and its resolutions with their tasks."""
    _overseer()
    ledger().meeting(meeting_id)  # 404 for an unknown id
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        found = registers.meeting(conn, meeting_id, as_of=as_of)
        topics = {t["id"]: t for t in group.topics(conn, as_of)}
    if found is None:
        abort(404)
    return _page("meeting.html", meeting=found, topics=topics, as_of=as_of,
                 may_act=g.actor.has("office") and as_of is None)


@blp.route("/meetings/<meeting_id>/attendance", methods=["GET", "POST"])
@signed_in
def attendance(meeting_id: str):
    """记录出席 (office): each unit present or absent with a reason; invited guests (列席)."""
    require_role(g.actor, "office")
    current = ledger().meeting(meeting_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        body, where = meeting_forms.attendance(request.form)
        try:
            body = forms.load(schemas.Attendance(), body)
            forms.run(ledger().record_attendance, g.actor, meeting_id, **body)
        except forms.FormInvalid as invalid:
            errors = meeting_forms.renamed(invalid.errors, where)
        else:
            return redirect(url_for("meetings_pages.meeting", meeting_id=meeting_id))
        chosen = {code: request.form.get(f"attendance-{code}", "") for code in UNITS_BY_CODE}
        reasons = {code: request.form.get(f"reason-{code}", "") for code in UNITS_BY_CODE}
    else:
        recorded = current.attendance or {"present": list(UNITS_BY_CODE), "absent": [], "invited": []}
        chosen = {code: "present" if code in recorded["present"] else "" for code in UNITS_BY_CODE}
        chosen.update({a["unit"]: "absent" for a in recorded["absent"]})
        reasons = {a["unit"]: a["reason"] for a in recorded["absent"]}
    invited = "\n".join((current.attendance or {}).get("invited", []))
    return _page("attendance.html", errors, meeting=current, meeting_id=meeting_id, chosen=chosen, reasons=reasons,
                 invited=invited, choices=ATTENDANCE_CHOICES)


@blp.route("/meetings/<meeting_id>/minutes", methods=["GET", "POST"])
@signed_in
def minutes(meeting_id: str):
    """起草会议纪要 (office): number, summary and items; saved as a draft, repeatable until issued."""
    require_role(g.actor, "office")
    current = ledger().meeting(meeting_id)
    errors: dict[str, list[str]] = {}
    draft = current.minutes or {"number": "", "summary": "", "items": []}
    item_rows = max(len(draft["items"]), 1)
    dissent_rows = [len(item.get("dissent", [])) for item in draft["items"]] + [0] * (item_rows - len(draft["items"]))
    if request.method == "POST":
        action = request.form.get("action", "save")
        item_rows = meeting_forms.rows(request.form, "item_rows", 50)
        dissent_rows = [meeting_forms.rows(request.form, f"dissent_rows.{i}", 26, default=0) for i in range(item_rows)]
        if action == "add_item":
            item_rows, dissent_rows = item_rows + 1, dissent_rows + [0]
        elif action.startswith("add_dissent-") and action[12:].isdigit() and int(action[12:]) < item_rows:
            dissent_rows[int(action[12:])] += 1
        else:
            body, where = meeting_forms.minutes(request.form)
            try:
                body = forms.load(schemas.Minutes(), body)
                forms.run(ledger().draft_minutes, g.actor, meeting_id, **body)
            except forms.FormInvalid as invalid:
                errors = meeting_forms.renamed(invalid.errors, where)
            else:
                return redirect(url_for("meetings_pages.meeting", meeting_id=meeting_id))
    year = current.date.year
    return _page("minutes.html", errors, meeting=current, meeting_id=meeting_id, draft=draft, item_rows=item_rows,
                 dissent_rows=dissent_rows, unit_options=unit_options(), year=year, issued=current.status == MINUTES_ISSUED,
                 scheduled=current.status == SCHEDULED)


@blp.route("/meetings/<meeting_id>/issue", methods=["GET", "POST"])
@signed_in
def issue(meeting_id: str):
    """印发会议纪要 (office), after an explicit confirmation: the agreed items become resolutions; no change after."""
    require_role(g.actor, "office")
    current = ledger().meeting(meeting_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            errors = {"confirm": ["请勾选确认后再印发"]}
        else:
            forms.run(ledger().issue_minutes, g.actor, meeting_id)
            return redirect(url_for("meetings_pages.meeting", meeting_id=meeting_id, _anchor="resolutions"))
    return _page("issue.html", errors, meeting=current, meeting_id=meeting_id)


@blp.route("/meetings/<meeting_id>/correction", methods=["GET", "POST"])
@signed_in
def correction(meeting_id: str):
    """勘误 (office): a correction beside issued minutes, with its reason; the minutes themselves never change."""
    require_role(g.actor, "office")
    current = ledger().meeting(meeting_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = forms.submit(schemas.Correction(), ledger().correct_minutes, g.actor, meeting_id)
        if not errors:
            return redirect(url_for("meetings_pages.meeting", meeting_id=meeting_id, _anchor="corrections"))
    return _page("correction.html", errors, meeting=current, meeting_id=meeting_id)


@blp.get("/resolutions")
@signed_in
def resolutions():
    """议定事项台账: each resolution with its meeting, item and tasks; by meeting or category, now or as of."""
    _overseer()
    as_of = as_of_argument()
    errors: dict[str, list[str]] = {}
    try:
        chosen = forms.load(schemas.ResolutionFilter(exclude=("as_of",)),
                            forms.fields_of(schemas.ResolutionFilter(exclude=("as_of",)), request.args))
    except forms.FormInvalid as invalid:
        errors, chosen = invalid.errors, {"meeting": None, "category": None}
    with views(up_to_date=True) as conn:
        all_meetings = registers.meetings(conn, as_of)
        found = registers.resolutions(conn, meeting_id=str(chosen["meeting"]) if chosen["meeting"] else None,
                                      category=chosen["category"], as_of=as_of)
    by_id = {m["id"]: m for m in all_meetings}
    meeting_options = [(m["id"], f"{m['date']} {m['title']}") for m in all_meetings if m["status"] == MINUTES_ISSUED]
    return _page("resolutions.html", errors, resolutions=found, meetings=by_id, meeting_options=meeting_options,
                 as_of=as_of, may_assign=g.actor.has("office") and as_of is None,
                 keep={k: v for k, v in request.args.items() if k in ("meeting", "category") and v},
                 category_options=list(CATEGORIES.items()), shanghai_zone=SHANGHAI)
