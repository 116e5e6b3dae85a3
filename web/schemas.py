"""Request and response shapes of the API (marshmallow → validation and the OpenAPI document).

Schemas check shape only; the ledger decides what is allowed. Unknown fields are refused (422).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from domain.categories import CATEGORY_CODES
from domain.deadlines import FEEDBACK_MONTHS
from domain.standing import STATUSES
from domain.tasks import SOURCE_KINDS
from domain.charter import UNIT_CODES

Unit = lambda **kw: ma.fields.String(validate=validate.OneOf(UNIT_CODES), **kw)  # noqa: E731
Text = lambda n=2000, **kw: ma.fields.String(validate=validate.Length(min=1, max=n), **kw)  # noqa: E731


class Evidence(ma.Schema):
    name = Text(255, required=True)
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))


class Source(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    resolution_id = ma.fields.UUID()
    reference = Text(500)


class Milestone(ma.Schema):
    due = ma.fields.Date(required=True)
    target_percent = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    description = ma.fields.String(load_default="", validate=validate.Length(max=500))


class AssignTask(ma.Schema):
    title = Text(200, required=True)
    description = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    source = ma.fields.Nested(Source, required=True)
    category = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORY_CODES))
    lead_unit = Unit(required=True)
    co_units = ma.fields.List(Unit(), load_default=list)
    deadline = ma.fields.Date(required=True)
    milestones = ma.fields.List(ma.fields.Nested(Milestone), load_default=None)
    feedback_every = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FEEDBACK_MONTHS))


class ReportProgress(ma.Schema):
    percent = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    text = Text(5000, required=True)
    evidence = ma.fields.List(ma.fields.Nested(Evidence), load_default=None)


class RequestExtension(ma.Schema):
    new_deadline = ma.fields.Date(required=True)
    reason = Text(required=True)


class DecideExtension(ma.Schema):
    approved = ma.fields.Boolean(required=True, truthy={True}, falsy={False})
    comment = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class RequestCompletion(ma.Schema):
    summary = Text(5000, required=True)
    evidence = ma.fields.List(ma.fields.Nested(Evidence), load_default=None)


class DecideCompletion(ma.Schema):
    accepted = ma.fields.Boolean(required=True, truthy={True}, falsy={False})
    comment = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class Urge(ma.Schema):
    message = Text(required=True)


class Comment(ma.Schema):
    text = Text(5000, required=True)


class Reassign(ma.Schema):
    lead_unit = Unit(required=True)
    co_units = ma.fields.List(Unit(), required=True)
    reason = Text(required=True)


class Cancel(ma.Schema):
    reason = Text(required=True)


class AsOf(ma.Schema):
    as_of = ma.fields.AwareDateTime(load_default=None)


class TaskFilter(AsOf):
    unit = Unit(load_default=None)
    role = ma.fields.String(load_default=None, validate=validate.OneOf(["lead", "co"]))
    status = ma.fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    overdue = ma.fields.Boolean(load_default=None)
    category = ma.fields.String(load_default=None, validate=validate.OneOf(CATEGORY_CODES))


class EventFilter(ma.Schema):
    after = ma.fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    unit = Unit(load_default=None)
    aggregate_id = ma.fields.UUID(load_default=None)
    type = ma.fields.String(load_default=None, validate=validate.Length(max=100))


class IssueReport(ma.Schema):
    narrative = Text(20000, required=True)


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
    source = ma.fields.Dict()
    milestones = ma.fields.List(ma.fields.Dict())
    feedback_every = ma.fields.String(allow_none=True)
    acknowledged = ma.fields.List(ma.fields.String())
    pending_extension = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer()
    request = ma.fields.Integer(metadata={"description": "the extension request's number (extension requests only)"})


class NewUser(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=2, max=40))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    unit = Unit(required=True)
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(["office", "liaison", "supervisor", "admin"])),
                           required=True, validate=validate.Length(min=1))
    display_name = ma.fields.String(load_default="", validate=validate.Length(max=50))


class Person(ma.Schema):
    name = Text(50, required=True)
    title = Text(100, required=True)
    phone = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    reason = Text(required=True)


class ProposeTopic(ma.Schema):
    title = Text(200, required=True)
    background = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    proposed_by = Unit(load_default=None)


class DeclineTopic(ma.Schema):
    reason = Text(required=True)


class ScheduleMeeting(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(["plenary", "office"]))
    title = Text(200, required=True)
    date = ma.fields.Date(required=True)
    location = Text(200, required=True)
    chair = Text(100, required=True)
    topics = ma.fields.List(ma.fields.UUID(), load_default=list)


class Absence(ma.Schema):
    unit = Unit(required=True)
    reason = Text(200, required=True)


class Attendance(ma.Schema):
    present = ma.fields.List(Unit(), required=True, validate=validate.Length(min=1))
    absent = ma.fields.List(ma.fields.Nested(Absence), load_default=list)
    invited = ma.fields.List(Text(100), load_default=list)


class Dissent(ma.Schema):
    unit = Unit(required=True)
    opinion = Text(required=True)


class MinuteItem(ma.Schema):
    title = Text(200, required=True)
    text = Text(5000, required=True)
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORY_CODES))
    outcome = ma.fields.String(required=True, validate=validate.OneOf(["agreed", "deferred"]))
    dissent = ma.fields.List(ma.fields.Nested(Dissent), load_default=list)


class Minutes(ma.Schema):
    number = Text(50, required=True)
    summary = Text(10000, required=True)
    items = ma.fields.List(ma.fields.Nested(MinuteItem), required=True, validate=validate.Length(min=1))


class Correction(ma.Schema):
    correction = Text(5000, required=True)
    reason = Text(required=True)


class ResolutionFilter(ma.Schema):
    meeting = ma.fields.UUID(load_default=None)
    category = ma.fields.String(load_default=None, validate=validate.OneOf(CATEGORY_CODES))
