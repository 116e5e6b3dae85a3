"""Reads of the API: the group and units, boards, the dashboard, the supervision report, the audit log."""

from __future__ import annotations

from flask import Response, g
from flask_smorest import Blueprint

from coordination.authorization import require_board_reader, require_role
from domain.errors import NotFound
from domain.reports import Period
from domain.charter import UNITS_BY_CODE
from projections import queries
from projections.audit import events_page
from web import reporting, schemas
from web.auth import idempotency_key, remember_position
from web.runtime import ledger, views

blp = Blueprint("reads", __name__, url_prefix="/api/v1", description="看板、报表与审计 / boards, reports, audit")



def _unit(code: str):
    if code not in UNITS_BY_CODE:
        raise NotFound(f"no unit {code}")
    u = ledger().unit(code)
    return {"code": u.code, "name": u.name, "short_name": u.short_name, "member": u.member,
            "liaison": u.liaison, "duties": u.duties}


@blp.route("/group", methods=["GET"])
@blp.response(200)
def group():
    """The coordination group."""
    gr = ledger().group()
    return {"name": gr.name, "convener": gr.convener, "office_unit": gr.office_unit, "units": len(UNITS_BY_CODE)}


@blp.route("/units", methods=["GET"])
@blp.response(200)
def units():
    """The 26 member units with member, liaison and duties."""
    return [_unit(code) for code in UNITS_BY_CODE]


@blp.route("/units/<code>", methods=["GET"])
@blp.response(200)
def unit(code):
    """One member unit."""
    return _unit(code)


@blp.route("/units/<code>/board", methods=["GET"])
@blp.arguments(schemas.AsOf, location="query")
@blp.response(200)
def board(query, code):
    """部门看板: a liaison reads its own unit's board; office and supervisors read all."""
    if code not in UNITS_BY_CODE:
        raise NotFound(f"no unit {code}")
    require_board_reader(g.actor, code)
    with views() as conn:
        return queries.board(conn, code, ledger().clock.now(), as_of=query["as_of"])


@blp.route("/dashboard", methods=["GET"])
@blp.arguments(schemas.AsOf, location="query")
@blp.response(200)
def dashboard(query):
    """督办总览 (office, supervisor)."""
    require_role(g.actor, "office", "supervisor")
    with views(up_to_date=True) as conn:  # an overview of everything recorded so far, not only one's own
        return queries.dashboard(conn, ledger().clock.now(), as_of=query["as_of"])


@blp.route("/reports/supervision/<period>", methods=["GET"])
@blp.response(200)
def draft_report(period):
    """The half-yearly supervision report as of min(period end, now) (office, supervisor)."""
    require_role(g.actor, "office", "supervisor")
    with views() as conn:
        return reporting.draft_report(ledger(), conn, period)


@blp.route("/reports/supervision/<period>/issue", methods=["POST"])
@blp.arguments(schemas.IssueReport)
@blp.response(201)
def issue_report(body, period):
    """印发: freeze the report with its log position and SHA-256 (supervisor); once per period."""
    with views() as conn:
        outcome = reporting.issue_report(ledger(), conn, g.actor, period, body["narrative"],
                                         idempotency_key=idempotency_key())
    remember_position(outcome.position)
    return outcome.result


@blp.route("/reports/supervision/<period>/issued", methods=["GET"])
@blp.arguments(schemas.NoQuery, location="query")
@blp.doc(responses={"200": {"description": "the frozen report: canonical JSON, the same bytes every time",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
def issued_report(query, period):
    """The frozen report, byte-identical every time."""
    require_role(g.actor, "office", "supervisor")
    issued = ledger().issued_report(Period.parse(period))
    return Response(issued.content, mimetype="application/json",
                    headers={"X-Content-SHA256": issued.sha256, "X-Log-Position": str(issued.log_position)})


@blp.route("/events", methods=["GET"])
@blp.arguments(schemas.EventFilter, location="query")
@blp.response(200)
def events(query):
    """The audit log, oldest first; follow next_after to read every event exactly once."""
    require_role(g.actor, "office", "supervisor")
    if query["aggregate_id"] is not None:
        query["aggregate_id"] = str(query["aggregate_id"])
    with views(up_to_date=True) as conn:  # an auditor reads everything recorded up to the moment of asking
        return events_page(conn, **query)

