"""Documents of the API: the supervision report as Word, Excel or PDF, and the task register as Excel."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import RAISE

from coordination.authorization import register_unit, require_role
from projections import queries
from web import exports, schemas
from web.runtime import ledger, views

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="公文、台账与 PDF / documents")


def _binary(*formats: str) -> dict:
    content = {exports.FORMATS[f]: {"schema": {"type": "string", "format": "binary"}} for f in formats}
    return {"responses": {"200": {"description": "the document, with a Chinese file name", "content": content}}}


def _office_or_supervisor() -> None:
    require_role(g.actor, "office", "supervisor")  # signed in already (web/guards.py)


@blp.route("/reports/supervision/<period>/export", methods=["GET"])
@blp.arguments(schemas.ReportExport, location="query", unknown=RAISE)
@blp.doc(**_binary("docx", "xlsx", "pdf"))
def draft_report_export(query, period):
    """The report as of now as a Word 公文, an Excel 台账 or a PDF (office, supervisor)."""
    _office_or_supervisor()
    return exports.draft_document(period, query["format"])


@blp.route("/reports/supervision/<period>/issued/export", methods=["GET"])
@blp.arguments(schemas.ReportExport, location="query", unknown=RAISE)
@blp.doc(**_binary("docx", "xlsx", "pdf"))
def issued_report_export(query, period):
    """The issued report's documents, made from the frozen report: byte-identical every time (office, supervisor)."""
    _office_or_supervisor()
    return exports.issued_document(period, query["format"])


@blp.route("/tasks/export", methods=["GET"])
@blp.arguments(schemas.TaskExport, location="query", unknown=RAISE)
@blp.doc(**_binary("xlsx"))
def task_register_export(query):
    """督办台账: the task register with the filters of GET /tasks, as a spreadsheet (a liaison: own unit)."""
    query.pop("format")
    query["unit"] = register_unit(g.actor, query["unit"])
    now = ledger().clock.now()
    with views() as conn:
        tasks = queries.tasks(conn, now, **query)
    return exports.register_document(tasks, query, now)
