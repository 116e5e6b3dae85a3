"""The working-day calendar (工作日历): a year's holidays and 调休 days, and the office's record of them."""

from __future__ import annotations

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint
from marshmallow import validate

from domain import values
from domain.calendar import MAX_DAYS_LISTED
from domain.errors import NotFound
from web.auth import idempotency_key, remember_position
from web.runtime import ledger
from web.schemas import Text

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历 / working-day calendar")


class YearCalendar(ma.Schema):
    """国务院节假日安排 for one year (workdays: the 调休 weekend days that are worked)."""

    holidays = ma.fields.List(ma.fields.Date(), required=True, validate=validate.Length(max=MAX_DAYS_LISTED))
    workdays = ma.fields.List(ma.fields.Date(), required=True, validate=validate.Length(max=MAX_DAYS_LISTED))
    reference = Text(values.REFERENCE, required=True)
    reason = Text(required=True)



def _year(text: str) -> int:
    """A year in the path; anything else is no calendar (404), whatever the method."""
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise NotFound(f"no calendar for {text[:20]!r}")
    return int(text)


@blp.route("/<year>", methods=["GET"])
@blp.response(200)
def year_calendar(year):
    """A year's calendar: source statutory (chinese-calendar), office (recorded here) or weekdays (Mon–Fri)."""
    return ledger().calendar_year(_year(year))


@blp.route("/<year>", methods=["PUT"])
@blp.arguments(YearCalendar)
@blp.response(200)
def record_year_calendar(body, year):
    """Record the State Council's schedule for a year (office); deadlines and lights use it from now on."""
    outcome = ledger().record_calendar(g.actor, _year(year), idempotency_key=idempotency_key(), **body)
    remember_position(outcome.position)
    return ledger().calendar_year(_year(year))
