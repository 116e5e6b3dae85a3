"""The supervision report page (zh-CN): its figures, its charts, and its documents to download."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, render_template

from coordination.authorization import oversees
from documents import charts, labels
from domain.deadlines import SHANGHAI
from domain.errors import InvalidValue, NotFound
from domain.reports import Period
from web import exports, reporting
from web.pages import signed_in
from web.runtime import ledger, views

blp = Blueprint("reports_pages", __name__, url_prefix="/reports")


def office_or_supervisor(view):
    """Signed in, as the office or a supervisor (liaisons: 403), for a well-formed period (else 404)."""

    @signed_in
    @wraps(view)
    def wrapper(period: str | None, *args, **kwargs):
        if not oversees(g.actor):
            abort(403)
        if period is None:  # the navigation's link: the half-year we are in
            today = ledger().clock.now().astimezone(SHANGHAI)
            period = f"{today.year}H{1 if today.month < 7 else 2}"
        try:
            Period.parse(period)
        except InvalidValue:
            abort(404)
        return view(period, *args, **kwargs)

    return wrapper


@blp.get("/", defaults={"period": None})
@blp.get("/<period>")
@office_or_supervisor
def report(period: str):
    """半年督查报告: the draft as of now; the issued report's documents when there is one."""
    with views() as conn:
        figures = reporting.draft_report(ledger(), conn, period)
    try:
        issued = ledger().issued_report(Period.parse(period))
    except NotFound:
        issued = None
    return render_template(
        "reports/report.html", report=figures, issued=issued, labels=labels,
        charts={name: charts.svg(figures, name) for name in charts.available(figures)},
        chart_titles=charts.TITLES, formats=(("docx", "Word 公文"), ("xlsx", "Excel 台账"), ("pdf", "PDF")))


@blp.get("/<period>/export.<fmt>")
@office_or_supervisor
def draft_export(period: str, fmt: str):
    """The draft's document (the same as the API's)."""
    if fmt not in exports.FORMATS:
        abort(404)
    return exports.draft_document(period, fmt)


@blp.get("/<period>/issued/export.<fmt>")
@office_or_supervisor
def issued_export(period: str, fmt: str):
    """The issued report's document (the same bytes as the API's)."""
    if fmt not in exports.FORMATS:
        abort(404)
    try:
        return exports.issued_document(period, fmt)
    except NotFound:
        abort(404)
