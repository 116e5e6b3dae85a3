"""The supervision report page (zh-CN): its figures, its charts, and its documents to download."""

from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from coordination.authorization import oversees, require_role
from documents import charts, labels
from domain.deadlines import SHANGHAI
from domain.errors import InvalidValue, NotFound
from domain.reports import Period
from web import exports, forms, reporting, schemas
from web.pages import as_of_argument, signed_in
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
def report(period: str, errors: dict | None = None):
    """半年督查报告: the draft as of now (or as of a chosen instant); the issued report's documents when there is
    one; for a supervisor, the form that issues it (with a confirmation step)."""
    as_of = as_of_argument()
    with views() as conn:
        figures = reporting.draft_report(ledger(), conn, period, as_of=as_of)
    try:
        issued = ledger().issued_report(Period.parse(period))
    except NotFound:
        issued = None
    return render_template(
        "reports/report.html", report=figures, issued=issued, labels=labels, as_of=as_of, errors=errors or {},
        frozen=json.loads(issued.content) if issued else None,
        may_issue=issued is None and g.actor.has("supervisor"),
        charts={name: charts.svg(figures, name) for name in charts.available(figures)},
        chart_titles=charts.TITLES, formats=FORMATS, periods=recent_periods())


def recent_periods(count: int = 4) -> list[str]:
    """The half-year we are in and the ones before it, newest first (the page's period picker)."""
    today = ledger().clock.now().astimezone(SHANGHAI)
    year, half = today.year, 1 if today.month < 7 else 2
    codes = []
    for _ in range(count):
        codes.append(f"{year}H{half}")
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return codes


FORMATS = (("docx", "Word 公文"), ("xlsx", "Excel 台账"), ("pdf", "PDF"))


@blp.post("/<period>/issue")
@office_or_supervisor
def issue(period: str):
    """印发: the narrative first, then a confirmation page with the figures; only the confirmed form issues.

    The confirmation form carries the first form's key, so a double click on either records the report once."""
    require_role(g.actor, "supervisor")
    try:
        body = forms.read(schemas.IssueReport())
    except forms.FormInvalid as invalid:
        return report(period, errors=invalid.errors), 422
    if request.form.get("step") == "edit":  # back to the form, the narrative kept
        return report(period)
    if request.form.get("step") != "issue":
        with views() as conn:
            figures = reporting.draft_report(ledger(), conn, period)
        return render_template("reports/confirm.html", report=figures, narrative=body["narrative"], labels=labels)
    with views() as conn:
        try:
            forms.run(reporting.issue_report, ledger(), conn, g.actor, period, body["narrative"])
        except forms.FormInvalid as invalid:
            return report(period, errors=invalid.errors), 422
    return redirect(url_for("reports_pages.report", period=period, _anchor="issued"), 303)


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
