"""Pages of the coordination office (协调组办公室): 工作台, 成员单位 (the roster, its members and liaisons and every
change with its reason, 第四条) and 议题 (征集议题: propose, accept, decline, put on a meeting's agenda).

Reads go through projections/queries.py, group.py and registers.py; every change is the ledger's own use case,
run through the form kit (web/forms.py), so a refusal shows beside its field and a double submit records once.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from coordination.authorization import oversees, require_role
from domain.charter import UNITS, UNITS_BY_CODE
from domain.deadlines import SHANGHAI
from domain.meetings import PLENARIES_PER_YEAR
from domain.topics import ACCEPTED, DECLINED, PROPOSED
from projections import group, queries, registers
from web import forms, schemas
from web.pages import LIGHT_NAMES, STATUS_NAMES, as_of_argument, signed_in
from web.runtime import ledger, views

blp = Blueprint("office_pages", __name__)

TOPIC_STATUS_NAMES = {"proposed": "待处理", "accepted": "已采纳,待上会", "declined": "不予采纳",
                      "on_agenda": "已列入会议议程", "concluded": "已上会"}
TOPIC_FILTERS = {"open": ("待处理", (PROPOSED,)), "accepted": ("已采纳", (ACCEPTED,)),
                 "declined": ("不予采纳", (DECLINED,)), "all": ("全部", None)}
PERSON_NAMES = {"member": "成员", "liaison": "联络员"}


def is_office(actor) -> bool:
    return actor.has("office")


def unit_options() -> list[tuple[str, str]]:
    """The 26 member units as choices of a picker, in seed 002's order."""
    return [(u.code, u.name) for u in UNITS]


@blp.get("/office")
@signed_in
def workbench():
    """工作台 (office): 待审核办结, 待审批延期, 逾期, lights by unit, pending topics, this year's plenaries (第七条)."""
    require_role(g.actor, "office")
    as_of = as_of_argument()
    now = ledger().clock.now()
    year = (as_of or now).astimezone(SHANGHAI).year
    with views(up_to_date=True) as conn:
        dashboard = queries.dashboard(conn, now, as_of=as_of)
        pending_topics = [t for t in group.topics(conn, as_of) if t["status"] in (PROPOSED, ACCEPTED)]
        plenaries = registers.plenaries_in_year(conn, year, as_of)
    return render_template("office/workbench.html", dashboard=dashboard, topics=pending_topics, as_of=as_of,
                           plenaries=plenaries, year=year, per_year=PLENARIES_PER_YEAR, units=UNITS_BY_CODE,
                           topic_status_names=TOPIC_STATUS_NAMES, status_names=STATUS_NAMES,
                           light_names=LIGHT_NAMES)


@blp.get("/roster")
@signed_in
def roster():
    """成员单位: the 26 units with duties (附件2), member and liaison — now or as of an instant."""
    if not oversees(g.actor):
        abort(403)
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        people = group.roster(conn, as_of)
    return render_template("office/roster.html", units=UNITS, people=people, as_of=as_of)


@blp.get("/roster/<code>")
@signed_in
def unit(code: str):
    """One member unit: duties, member, liaison and the history of changes with their reasons."""
    if not oversees(g.actor):
        abort(403)
    if code not in UNITS_BY_CODE:
        abort(404)
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        people = group.roster(conn, as_of)[code]
    return render_template("office/unit.html", unit=UNITS_BY_CODE[code], people=people, as_of=as_of,
                           person_names=PERSON_NAMES, may_change=is_office(g.actor))


@blp.route("/roster/<code>/<which>", methods=["GET", "POST"])
@signed_in
def change_person(code: str, which: str):
    """调整成员 / 调整联络员 (第四条): the new person and the reason for the change."""
    require_role(g.actor, "office")
    if code not in UNITS_BY_CODE or which not in PERSON_NAMES:
        abort(404)
    current = getattr(ledger().unit(code), which)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        command = ledger().change_member if which == "member" else ledger().change_liaison
        errors = forms.submit(schemas.Person(), command, g.actor, code)
        if not errors:
            return redirect(url_for("office_pages.unit", code=code))
    return render_template("office/change_person.html", unit=UNITS_BY_CODE[code], which=which, current=current,
                           label=PERSON_NAMES[which], errors=errors), 422 if errors else 200


@blp.get("/topics")
@signed_in
def topics():
    """议题: the topics collected (待处理 / 已采纳 / 不予采纳 / 全部), with accept, decline and 列入议程."""
    require_role(g.actor, "office")
    shown = request.args.get("status") or "open"
    if shown not in TOPIC_FILTERS:
        abort(404)
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        found = group.topics(conn, as_of)
        meetings = {m["id"]: m for m in registers.meetings(conn, as_of)}
    statuses = TOPIC_FILTERS[shown][1]
    listed = [t for t in found if statuses is None or t["status"] in statuses]
    counts = {key: sum(1 for t in found if s is None or t["status"] in s) for key, (_, s) in TOPIC_FILTERS.items()}
    return render_template("office/topics.html", topics=listed, shown=shown, filters=TOPIC_FILTERS, counts=counts,
                           meetings=meetings, as_of=as_of, units=UNITS_BY_CODE, status_names=TOPIC_STATUS_NAMES)


@blp.route("/topics/new", methods=["GET", "POST"])
@signed_in
def propose_topic():
    """征集议题 (office): a topic for a meeting, in the name of the unit that raised it."""
    require_role(g.actor, "office")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = forms.submit(schemas.ProposeTopic(), ledger().propose_topic, g.actor)
        if not errors:
            return redirect(url_for("office_pages.topics"))
    return render_template("office/propose_topic.html", errors=errors, units=unit_options()), 422 if errors else 200


@blp.post("/topics/<topic_id>/accept")
@signed_in
def accept_topic(topic_id: str):
    """采纳议题 (office)."""
    require_role(g.actor, "office")
    forms.run(ledger().accept_topic, g.actor, topic_id)
    return redirect(url_for("office_pages.topics", status="accepted"))


@blp.route("/topics/<topic_id>/decline", methods=["GET", "POST"])
@signed_in
def decline_topic(topic_id: str):
    """不予采纳 (office), with the reason the unit will read."""
    require_role(g.actor, "office")
    topic = ledger().topic(topic_id)  # 404 for an unknown id
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = forms.submit(schemas.DeclineTopic(), ledger().decline_topic, g.actor, topic_id)
        if not errors:
            return redirect(url_for("office_pages.topics", status="declined"))
    return render_template("office/decline_topic.html", topic=topic, units=UNITS_BY_CODE, errors=errors,
                           status_names=TOPIC_STATUS_NAMES), 422 if errors else 200
