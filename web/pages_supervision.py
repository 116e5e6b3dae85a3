"""The supervisors' pages (督查, zh-CN): the audit log (审计日志) with filters and paging that never skips, and the
list of tasks that call for urging (督查催办). The office reads both too; liaisons get 403."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import wraps

import marshmallow as ma
from flask import Blueprint, abort, g, render_template, request, url_for
from marshmallow import validate

from coordination.authorization import oversees
from domain import values
from domain.charter import UNITS_BY_CODE
from domain.deadlines import SHANGHAI
from domain.errors import InvalidValue
from projections import audit
from projections.supervision import to_urge
from web import forms, schemas
from web.event_names import AGGREGATE_NAMES, EVENT_NAMES, event_detail, event_name
from web.pages import LIGHT_NAMES, STATUS_NAMES, as_of_argument, signed_in
from web.runtime import ledger, views

blp = Blueprint("supervision_pages", __name__)

PAGE_SIZE = 50
PAGES = {"Task": "/tasks/{}", "Meeting": "/meetings/{}"}
"""Where an event's object has its own page (the task and meeting pages)."""


def office_or_supervisor(view):
    """Signed in, as the office or a supervisor; a liaison or an admin gets the Chinese 403 page."""

    @signed_in
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not oversees(g.actor):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


class AuditFilter(ma.Schema):
    """The audit page's query: the API's filters (GET /api/v1/events), a period in Beijing dates, and paging
    by log position in either direction."""

    unit = schemas.Unit(load_default=None)
    type = ma.fields.String(load_default=None, validate=validate.OneOf(list(EVENT_NAMES)))
    aggregate = ma.fields.UUID(load_default=None)
    since = ma.fields.Date(load_default=None)
    until = ma.fields.Date(load_default=None)
    after = ma.fields.Integer(load_default=None, validate=validate.Range(min=0))
    before = ma.fields.Integer(load_default=None, validate=validate.Range(min=1))
    limit = ma.fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(1, 200))


def _start_of(day, field: str) -> datetime:
    """The first instant of a Beijing date, within the years a ledger can mean."""
    try:
        return values.instant(field, datetime.combine(day, time(), SHANGHAI))
    except InvalidValue as refused:
        raise forms.FormInvalid({field: [forms.chinese(m) for m in refused.errors[field]]}) from None


@blp.get("/audit")
@office_or_supervisor
def audit_log():
    """审计日志: every event, newest first, filtered by unit, type, object and period; paged by log position."""
    try:
        query = forms.load(AuditFilter(), forms.fields_of(AuditFilter(), request.args))
        since = _start_of(query["since"], "since") if query["since"] else None
        until = _start_of(query["until"], "until") + timedelta(days=1) if query["until"] else None
    except forms.FormInvalid as invalid:
        return _render_audit(errors=invalid.errors, events=[], filters={}, older=None, newer=None), 422
    filters = {"unit": query["unit"], "type": query["type"],
               "aggregate_id": str(query["aggregate"]) if query["aggregate"] else None, "since": since, "until": until}
    limit = query["limit"]
    with views(up_to_date=True) as conn:  # an auditor reads everything recorded up to the moment of asking
        if query["after"] is not None:
            found = audit.events_page(conn, after=query["after"], limit=limit + 1, **filters)["events"]
            page, more_newer = found[:limit], len(found) > limit
            more_older = bool(page) and bool(audit.events_page(conn, before=page[0]["position"], limit=1,
                                                               **filters)["events"])
        else:
            found = audit.events_page(conn, before=query["before"], latest=True, limit=limit + 1, **filters)["events"]
            page, more_older = found[-limit:] if found else [], len(found) > limit
            more_newer = bool(page) and query["before"] is not None and bool(
                audit.events_page(conn, after=page[-1]["position"], limit=1, **filters)["events"])
        names = audit.titles(conn, sorted({e["aggregate_id"] for e in page if e["aggregate_type"] in PAGES}))
    keep = {k: v for k, v in request.args.items() if k in ("unit", "type", "aggregate", "since", "until", "limit") and v}
    older = url_for("supervision_pages.audit_log", **keep, before=page[0]["position"]) if more_older else None
    newer = url_for("supervision_pages.audit_log", **keep, after=page[-1]["position"]) if more_newer else None
    rows = [_row(e, names) for e in reversed(page)]
    return _render_audit(errors={}, events=rows, filters=keep, older=older, newer=newer,
                         paged=query["after"] is not None or query["before"] is not None)


def _row(event: dict, names: dict[str, str]) -> dict:
    actor = event["actor"]
    unit = UNITS_BY_CODE.get(actor.get("unit") or "")
    link = PAGES.get(event["aggregate_type"])
    return {**event, "at_local": datetime.fromisoformat(event["at"]).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "who": actor.get("username") or "系统", "who_unit": unit.short_name if unit else "",
            "what": event_name(event["type"]), "detail": event_detail(event["type"], event["data"]),
            "object": AGGREGATE_NAMES.get(event["aggregate_type"], event["aggregate_type"]),
            "title": names.get(event["aggregate_id"]),
            "href": link.format(event["aggregate_id"]) if link else None}


def _render_audit(**context):
    return render_template("supervision/audit.html", unit_options=[(u.code, u.name) for u in UNITS_BY_CODE.values()],
                           type_options=list(EVENT_NAMES.items()),
                           first=url_for("supervision_pages.audit_log",
                                         **{k: v for k, v in context["filters"].items()}, after=0),
                           latest=url_for("supervision_pages.audit_log", **context["filters"]), **context)


@blp.get("/supervision")
@office_or_supervisor
def urging_list():
    """督查催办: open tasks that are overdue, on a red or yellow light, or urged and not yet answered."""
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        tasks = to_urge(conn, ledger().clock.now(), as_of=as_of)
    return render_template("supervision/urging.html", tasks=tasks, as_of=as_of, unit_names=UNITS_BY_CODE,
                           status_names=STATUS_NAMES, light_names=LIGHT_NAMES)
