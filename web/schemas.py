"""Request and response shapes of the API (marshmallow → validation and the OpenAPI document).

Schemas check shape, with the domain's own text rule and limits (domain/values.py), so bad input is
refused with 422 naming the field before any command runs; the ledger decides what is allowed. Unknown
fields are refused (422) in bodies here, in query strings by web/guards.py.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from domain import values
from domain.calendar import MAX_WORKING_DAYS
from domain.categories import CATEGORY_CODES
from domain.deadlines import FEEDBACK_MONTHS
from domain.errors import InvalidValue
from domain.standing import STATUSES
from domain.tasks import SOURCE_KINDS
from domain.charter import UNIT_CODES



class TextRule(validate.Validator):
    """The domain's text rule (no control characters, no lone surrogates) and a length limit."""

    def __init__(self, max_length: int, *, required: bool = True):
        self.max_length = max_length
        self.required = required

    def __call__(self, value: str) -> str:
        problem = values.text_problem(value)
        if problem:
            raise ma.ValidationError(problem)
        if self.required and not value.strip():
            raise ma.ValidationError("must not be empty")
        if len(value) > self.max_length:
            raise ma.ValidationError(f"must be at most {self.max_length} characters")
        return value


class Instant(ma.fields.AwareDateTime):
    """An as_of instant: aware, within the years a ledger can mean (values.instant)."""

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            return values.instant(attr or "as_of", instant)
        except InvalidValue as exc:
            raise ma.ValidationError(exc.message) from None


def Unit(**kw):  # noqa: N802 — a field factory, named like the fields it makes
    return ma.fields.String(validate=validate.OneOf(UNIT_CODES), **kw)


def Text(n: int = values.TEXT, **kw):  # noqa: N802
    """Text that must not be empty."""
    return ma.fields.String(validate=TextRule(n), **kw)


def OptionalText(n: int, **kw):  # noqa: N802
    """Text that may be empty (defaults to "")."""
    kw.setdefault("load_default", "")
    return ma.fields.String(validate=TextRule(n, required=False), **kw)


def Items(field, n: int, **kw):  # noqa: N802
    """A list of at most n entries."""
    return ma.fields.List(field, validate=validate.Length(max=n), **kw)


class Evidence(ma.Schema):
    name = Text(values.FILE_NAME, required=True)
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))


class Source(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    resolution_id = ma.fields.UUID()
    reference = Text(values.REFERENCE)


class Milestone(ma.Schema):
    due = ma.fields.Date(required=True)
    target_percent = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    description = OptionalText(values.REFERENCE)


class AssignTask(ma.Schema):
    title = Text(values.TITLE, required=True)
    description = OptionalText(values.LONG_TEXT)
    source = ma.fields.Nested(Source, required=True)
    category = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORY_CODES))
    lead_unit = Unit(required=True)
    co_units = Items(Unit(), values.MAX_CO_UNITS, load_default=list)
    deadline = ma.fields.Date(load_default=None, metadata={"description": "required unless deadline_in_working_days"})
    deadline_in_working_days = ma.fields.Integer(
        load_default=None, strict=True, validate=validate.Range(1, MAX_WORKING_DAYS),
        metadata={"description": "instead of deadline: working days counted from the day after assignment"})
    milestones = Items(ma.fields.Nested(Milestone), values.MAX_MILESTONES, load_default=None)
    feedback_every = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FEEDBACK_MONTHS))

    @ma.validates_schema
    def one_deadline(self, data, **kwargs):
        if (data.get("deadline") is None) == (data.get("deadline_in_working_days") is None):
            raise ma.ValidationError("give either deadline or deadline_in_working_days", "deadline")


class ReportProgress(ma.Schema):
    percent = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    text = Text(values.LONG_TEXT, required=True)
    evidence = Items(ma.fields.Nested(Evidence), values.MAX_EVIDENCE, load_default=None)


class RequestExtension(ma.Schema):
    new_deadline = ma.fields.Date(required=True)
    reason = Text(required=True)


class DecideExtension(ma.Schema):
    approved = ma.fields.Boolean(required=True, truthy={True}, falsy={False})
    comment = OptionalText(values.TEXT)


class RequestCompletion(ma.Schema):
    summary = Text(values.LONG_TEXT, required=True)
    evidence = Items(ma.fields.Nested(Evidence), values.MAX_EVIDENCE, load_default=None)


class DecideCompletion(ma.Schema):
    accepted = ma.fields.Boolean(required=True, truthy={True}, falsy={False})
    comment = OptionalText(values.TEXT)


class Urge(ma.Schema):
    message = Text(required=True)


class UrgingReply(ma.Schema):
    text = Text(values.LONG_TEXT, required=True)


class Comment(ma.Schema):
    text = Text(values.LONG_TEXT, required=True)


class Reassign(ma.Schema):
    lead_unit = Unit(required=True)
    co_units = Items(Unit(), values.MAX_CO_UNITS, required=True)
    reason = Text(required=True)


class Cancel(ma.Schema):
    reason = Text(required=True)


class NoQuery(ma.Schema):
    """An endpoint that takes no query parameters (declared, so that web/guards.py refuses any)."""


class AsOf(ma.Schema):
    as_of = Instant(load_default=None)


class TaskFilter(AsOf):
    unit = Unit(load_default=None)
    role = ma.fields.String(load_default=None, validate=validate.OneOf(["lead", "co"]))
    status = ma.fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    overdue = ma.fields.Boolean(load_default=None)
    category = ma.fields.String(load_default=None, validate=validate.OneOf(CATEGORY_CODES))


class ReportExport(ma.Schema):
    format = ma.fields.String(required=True, validate=validate.OneOf(["docx", "xlsx", "pdf"]))


class TaskExport(TaskFilter):
    format = ma.fields.String(required=True, validate=validate.OneOf(["xlsx"]))


class EventFilter(ma.Schema):
    after = ma.fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    unit = Unit(load_default=None)
    aggregate_id = ma.fields.UUID(load_default=None)
    type = ma.fields.String(load_default=None, validate=TextRule(100))


class IssueReport(ma.Schema):
    narrative = Text(values.NARRATIVE, required=True)


class TaskState(ma.Schema):
    """A task as the API shows it (judged at `as_of`, or at the instant of the change it answers)."""

    id = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String()
    category = ma.fields.String()
    lead_unit = ma.fields.String()
    co_units = ma.fields.List(ma.fields.String())
    deadline = ma.fields.String()
    effective_deadline = ma.fields.String()
    percent = ma.fields.Integer()
    light = ma.fields.String(allow_none=True)
    overdue = ma.fields.Boolean()
    overdue_days = ma.fields.Integer()
    days_left = ma.fields.Integer(allow_none=True, metadata={
        "description": "calendar days to the effective deadline; null once closed or overdue"})
    source = ma.fields.Dict()
    milestones = ma.fields.List(ma.fields.Dict())
    feedback_every = ma.fields.String(allow_none=True)
    acknowledged = ma.fields.List(ma.fields.String())
    pending_extension = ma.fields.Integer(allow_none=True)
    next_milestone = ma.fields.Dict(allow_none=True)
    missed_milestones = ma.fields.List(ma.fields.Dict())
    urgings = ma.fields.Integer()
    urging_level = ma.fields.String(allow_none=True, metadata={
        "description": "urged (催办), second_urging (二次催办), interview_or_notice (约谈/通报候选), or null"})
    urging_label = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    request = ma.fields.Integer(metadata={"description": "the extension request's number (extension requests only)"})


class NewUser(ma.Schema):
    username = ma.fields.String(required=True, validate=[validate.Length(min=2, max=40), TextRule(40)])
    password = ma.fields.String(required=True, load_only=True, validate=[validate.Length(min=8), TextRule(256)])
    unit = Unit(required=True)
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(["office", "liaison", "supervisor", "admin"])),
                           required=True, validate=validate.Length(min=1, max=4))
    display_name = OptionalText(values.NAME)


class Person(ma.Schema):
    name = Text(values.NAME, required=True)
    title = Text(values.SHORT, required=True)
    phone = ma.fields.String(load_default=None, allow_none=True, validate=TextRule(values.PHONE, required=False))
    reason = Text(required=True)


class ProposeTopic(ma.Schema):
    title = Text(values.TITLE, required=True)
    background = OptionalText(values.LONG_TEXT)
    proposed_by = Unit(load_default=None)


class DeclineTopic(ma.Schema):
    reason = Text(required=True)


class ScheduleMeeting(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(["plenary", "office"]))
    title = Text(values.TITLE, required=True)
    date = ma.fields.Date(required=True)
    location = Text(values.TITLE, required=True)
    chair = Text(values.SHORT, required=True)
    topics = Items(ma.fields.UUID(), values.MAX_AGENDA, load_default=list)


class Absence(ma.Schema):
    unit = Unit(required=True)
    reason = Text(values.TITLE, required=True)


class Attendance(ma.Schema):
    present = ma.fields.List(Unit(), required=True, validate=validate.Length(min=1, max=values.MAX_ATTENDANCE))
    absent = Items(ma.fields.Nested(Absence), values.MAX_ATTENDANCE, load_default=list)
    invited = Items(Text(values.SHORT), values.MAX_INVITED, load_default=list)


class Dissent(ma.Schema):
    unit = Unit(required=True)
    opinion = Text(required=True)


class MinuteItem(ma.Schema):
    title = Text(values.TITLE, required=True)
    text = Text(values.LONG_TEXT, required=True)
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORY_CODES))
    outcome = ma.fields.String(required=True, validate=validate.OneOf(["agreed", "deferred"]))
    dissent = Items(ma.fields.Nested(Dissent), values.MAX_DISSENT, load_default=list)


class Minutes(ma.Schema):
    number = Text(values.MINUTES_NUMBER, required=True)
    summary = Text(values.MINUTES, required=True)
    items = ma.fields.List(ma.fields.Nested(MinuteItem), required=True,
                           validate=validate.Length(min=1, max=values.MAX_MINUTE_ITEMS))


class Correction(ma.Schema):
    correction = Text(values.LONG_TEXT, required=True)
    reason = Text(required=True)


class ResolutionFilter(AsOf):
    meeting = ma.fields.UUID(load_default=None)
    category = ma.fields.String(load_default=None, validate=validate.OneOf(CATEGORY_CODES))
