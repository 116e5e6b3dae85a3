"""The liaison's own pages (联络员): 本单位 — the unit's roster entry with its change requests (第四条) — and
提出议题, proposing a topic for the group's meetings. The same use cases as the API."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from domain.roster import MemberUnit
from projections.eventlog import EventLog
from web import forms, schemas
from web.pages import as_of_argument, signed_in
from web.runtime import ledger

blp = Blueprint("liaison_pages", __name__)

CHANGES = {"member": ("成员", "change_member", "成员变更已记录。"),
           "liaison": ("联络员", "change_liaison", "联络员变更已记录。")}


def _liaison_only() -> None:
    if not g.actor.has("liaison"):
        abort(403)


def _unit_as_of(code: str, as_of):
    """The unit's roster entry now, or as it stood at `as_of` (its history replayed up to then)."""
    if as_of is None:
        return ledger().unit(code), EventLog(ledger()).history(MemberUnit.create_id(code))
    history = [e for e in EventLog(ledger()).history(MemberUnit.create_id(code)) if e.at <= as_of]
    if not history:
        abort(404)
    return ledger().repository.get(MemberUnit.create_id(code), version=history[-1].version), history


def render_unit(failed: str | None = None, errors: dict | None = None, status: int = 200):
    as_of = as_of_argument() if failed is None else None
    unit, history = _unit_as_of(g.actor.unit, as_of)
    changes = [e for e in history if e.type in ("MemberUnit.MemberChanged", "MemberUnit.LiaisonChanged")]
    return render_template("my_unit.html", unit=unit, changes=list(reversed(changes)), as_of=as_of, failed=failed,
                           errors=errors or {}, changes_offered=CHANGES), status


@blp.get("/my-unit")
@signed_in
def my_unit():
    """本单位: member, liaison and duties of the liaison's own unit, now or as of an instant."""
    _liaison_only()
    return render_unit()


def _change(which: str):
    label, use_case, done = CHANGES[which]

    def view():
        _liaison_only()
        errors = forms.submit(schemas.Person(), getattr(ledger(), use_case), g.actor, g.actor.unit)
        if errors:
            return render_unit(failed=which, errors=errors, status=422)
        flash(done)
        return redirect(url_for(".my_unit"))

    view.__name__ = use_case
    view.__doc__ = f"调整{label} (第四条): the liaison reports a change for its own unit."
    blp.add_url_rule(f"/my-unit/{which}", use_case, signed_in(view), methods=["POST"])


for _which in CHANGES:
    _change(_which)


@blp.route("/topics/propose", methods=["GET", "POST"])
@signed_in
def propose_topic():
    """提出议题: a liaison proposes a topic in its own unit's name."""
    _liaison_only()
    errors: dict = {}
    if request.method == "POST":
        errors = forms.submit(schemas.ProposeTopic(), ledger().propose_topic, g.actor, skip=("proposed_by",))
        if not errors:
            flash("议题已提交,等待协调组办公室研究。")
            return redirect(url_for(".propose_topic"))
    return render_template("propose_topic.html", errors=errors), 422 if errors else 200
