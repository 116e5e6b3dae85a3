"""The supervised task (督办事项) and its lifecycle.

assigned →(lead acknowledges, 签收)→ in_progress →(lead requests completion, 申请办结)→
completion_requested →(office accepts)→ completed | (office returns)→ in_progress.
Any open state →(office cancels)→ cancelled. Alongside: progress reports, extension requests
(延期申请) and decisions, urgings (催办), supervisor comments (督查意见), reassignment.

Overdue and the warning light (红黄绿灯) are derived from the state and an instant, never stored.
Every event carries the actor ({username, unit}) and the service-clock instant `at`.

Long because the aggregate's commands, guards and events belong together: an event's stored topic is
`domain.tasks:Task.<Event>`, so they cannot move without an upcast of the whole log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import Actor
from domain.deadlines import FEEDBACK_MONTHS, deadline_end, local_date
from domain.errors import (
    AlreadyAcknowledged,
    DeadlinePassed,
    ExtensionAlreadyPending,
    ExtensionNotForward,
    ExtensionNotPending,
    InvalidValue,
    NoCompletionRequested,
    NotAcknowledged,
    NotAssignedUnit,
    NotAwaitingAcknowledgement,
    NotInProgress,
    NotLeadUnit,
    NotUrged,
    TaskClosed,
)
from domain.standing import ASSIGNED, CANCELLED, COMPLETED, COMPLETION_REQUESTED, IN_PROGRESS, OPEN_STATUSES, Standing

SOURCE_KINDS = ("resolution", "plan", "instruction")


class Task(Aggregate):
    """督办事项: one piece of work with a lead unit (牵头单位), co-units (配合单位) and a deadline."""

    # --- creation -------------------------------------------------------------------------------

    @classmethod
    def assign(
        cls,
        *,
        title: str,
        description: str,
        source: dict[str, Any],
        category: str,
        lead_unit: str,
        co_units: list[str],
        deadline: date,
        milestones: list[dict[str, Any]] | None,
        feedback_every: str | None,
        by: Actor,
        at: datetime,
        deadline_rule: dict[str, Any] | None = None,
    ) -> Task:
        """分工落实: create a task and assign it to a lead unit and co-units.

        `deadline_rule` says how a deadline given in working days was resolved to the date (stored as given).
        """
        title = values.text("title", title, max_length=values.TITLE)
        description = values.text("description", description, max_length=values.LONG_TEXT, required=False)
        source = _checked_source(source)
        category = values.category("category", category)
        lead_unit, co_units = _checked_units(lead_unit, co_units)
        deadline = values.date_ahead("deadline", deadline, local_date(at))
        if deadline < local_date(at):
            raise InvalidValue("deadline", "must not be in the past")
        milestones = _checked_milestones(milestones or [], local_date(at), deadline)
        if feedback_every is not None and feedback_every not in FEEDBACK_MONTHS:
            raise InvalidValue("feedback_every", f"one of {', '.join(FEEDBACK_MONTHS)}")
        return cls(
            title=title,
            description=description,
            source=source,
            category=category,
            lead_unit=lead_unit,
            co_units=co_units,
            deadline=deadline,
            milestones=milestones,
            feedback_every=feedback_every,
            actor=by.stamp(),
            at=at,
            deadline_rule=deadline_rule,
        )

    @event("Assigned")
    def __init__(
        self,
        title: str,
        description: str,
        source: dict[str, Any],
        category: str,
        lead_unit: str,
        co_units: list[str],
        deadline: date,
        milestones: list[dict[str, Any]],
        feedback_every: str | None,
        actor: dict[str, str],
        at: datetime,
        deadline_rule: dict[str, Any] | None = None,  # added in issue 13; older events have none
    ):
        self.title = title
        self.description = description
        self.source = source
        self.category = category
        self.lead_unit = lead_unit
        self.co_units = list(co_units)
        self.deadline = deadline
        self.effective_deadline = deadline
        self.milestones = milestones
        self.feedback_every = feedback_every
        self.status = ASSIGNED
        self.assigned_at = at
        self.acknowledged: dict[str, datetime] = {}
        self.percent = 0
        self.last_feedback_at: datetime | None = None
        self.extensions: list[dict[str, Any]] = []
        self.completion: dict[str, Any] | None = None
        self.closed_at: datetime | None = None
        self.urgings = 0

    # --- commands -------------------------------------------------------------------------------

    def acknowledge(self, *, by: Actor, at: datetime) -> None:
        """签收: the lead unit's acknowledgement starts the work; co-units acknowledge their part."""
        self._check_open()
        unit = self._check_assigned_unit(by)
        if unit in self.acknowledged:
            raise AlreadyAcknowledged(f"{unit} has already acknowledged this task")
        if unit == self.lead_unit and self.status != ASSIGNED:
            raise NotAwaitingAcknowledgement(f"the task is {self.status}, not awaiting acknowledgement")
        self._acknowledged(unit=unit, actor=by.stamp(), at=at)

    @event("Acknowledged")
    def _acknowledged(self, unit: str, actor: dict[str, str], at: datetime) -> None:
        self.acknowledged[unit] = at
        if unit == self.lead_unit:
            self.status = IN_PROGRESS
            self.last_feedback_at = at

    def report_progress(
        self, *, percent: int, text: str, evidence: list[dict[str, str]] | None, by: Actor, at: datetime
    ) -> None:
        """报送进展: a lead or co-unit that has acknowledged reports percent, text and evidence."""
        self._check_open()
        unit = self._check_assigned_unit(by)
        if self.status != IN_PROGRESS:
            raise NotInProgress(f"progress can be reported only while the task is in progress (it is {self.status})")
        if unit not in self.acknowledged:
            raise NotAcknowledged(f"{unit} must acknowledge the task before reporting progress")
        self._progress_reported(
            unit=unit,
            percent=values.percent("percent", percent),
            text=values.text("text", text, max_length=values.LONG_TEXT),
            evidence=values.evidence("evidence", evidence),
            actor=by.stamp(),
            at=at,
        )

    @event("ProgressReported")
    def _progress_reported(
        self, unit: str, percent: int, text: str, evidence: list[dict[str, str]], actor: dict[str, str], at: datetime
    ) -> None:
        if unit == self.lead_unit:
            self.percent = percent
            self.last_feedback_at = at

    def request_extension(self, *, new_deadline: date, reason: str, by: Actor, at: datetime) -> int:
        """延期申请: only the lead, only before the effective deadline, only to a later date."""
        self._check_open()
        self._check_lead(by, "request an extension")
        if self.status == COMPLETION_REQUESTED:
            raise NotInProgress("an extension cannot be requested while completion awaits a decision")
        if self.pending_extension is not None:
            raise ExtensionAlreadyPending(f"extension request {self.pending_extension['request']} awaits a decision")
        if at >= deadline_end(self.effective_deadline):
            raise DeadlinePassed(f"the deadline {self.effective_deadline.isoformat()} has passed")
        new_deadline = values.date_ahead("new_deadline", new_deadline, local_date(at))
        if new_deadline <= self.effective_deadline:
            raise ExtensionNotForward(f"must be after the current deadline {self.effective_deadline.isoformat()}")
        number = len(self.extensions) + 1
        self._extension_requested(
            request=number,
            new_deadline=new_deadline,
            reason=values.text("reason", reason),
            actor=by.stamp(),
            at=at,
        )
        return number

    @event("ExtensionRequested")
    def _extension_requested(
        self, request: int, new_deadline: date, reason: str, actor: dict[str, str], at: datetime
    ) -> None:
        self.extensions.append(
            {"request": request, "new_deadline": new_deadline, "reason": reason, "requested_at": at, "decision": None}
        )

    def decide_extension(self, *, request: int, approved: bool, comment: str, by: Actor, at: datetime) -> None:
        """审批延期: the office approves (the new date becomes the effective deadline) or refuses."""
        self._check_open()
        if not isinstance(approved, bool):
            raise InvalidValue("approved", "must be true or false")
        pending = self.pending_extension
        if pending is None or pending["request"] != request:
            raise ExtensionNotPending(f"extension request {request} is not awaiting a decision")
        self._extension_decided(
            request=request,
            approved=approved,
            comment=values.text("comment", comment, required=not approved),
            actor=by.stamp(),
            at=at,
        )

    @event("ExtensionDecided")
    def _extension_decided(self, request: int, approved: bool, comment: str, actor: dict[str, str], at: datetime) -> None:
        entry = self.extensions[request - 1]
        entry["decision"] = "approved" if approved else "refused"
        if approved:
            self.effective_deadline = entry["new_deadline"]

    def request_completion(self, *, summary: str, evidence: list[dict[str, str]] | None, by: Actor, at: datetime) -> None:
        """申请办结: the lead unit reports the work done, with a summary and evidence."""
        self._check_open()
        self._check_lead(by, "request completion")
        if self.status != IN_PROGRESS:
            raise NotInProgress(f"completion can be requested only while the task is in progress (it is {self.status})")
        self._completion_requested(
            summary=values.text("summary", summary, max_length=values.LONG_TEXT),
            evidence=values.evidence("evidence", evidence),
            actor=by.stamp(),
            at=at,
        )

    @event("CompletionRequested")
    def _completion_requested(self, summary: str, evidence: list[dict[str, str]], actor: dict[str, str], at: datetime) -> None:
        self.status = COMPLETION_REQUESTED
        self.completion = {
            "requested_at": at,
            "on_time": at < deadline_end(self.effective_deadline),
        }
        self.last_feedback_at = at

    def decide_completion(self, *, accepted: bool, comment: str, by: Actor, at: datetime) -> None:
        """办结审核: the office verifies and accepts, or returns the task with a reason (退回)."""
        if not isinstance(accepted, bool):
            raise InvalidValue("accepted", "must be true or false")
        if self.status != COMPLETION_REQUESTED:
            raise NoCompletionRequested(f"no completion request awaits a decision (the task is {self.status})")
        self._completion_decided(
            accepted=accepted,
            comment=values.text("comment", comment, required=not accepted),
            actor=by.stamp(),
            at=at,
        )

    @event("CompletionDecided")
    def _completion_decided(self, accepted: bool, comment: str, actor: dict[str, str], at: datetime) -> None:
        assert self.completion is not None
        if accepted:
            self.status = COMPLETED
            self.closed_at = at
            self.percent = 100
        else:
            self.status = IN_PROGRESS
            self.completion = None

    def urge(self, *, message: str, by: Actor, at: datetime) -> None:
        """催办: the office or a supervisor urges the units on an open task."""
        self._check_open()
        self._urged(message=values.text("message", message), actor=by.stamp(), at=at)

    @event("Urged")
    def _urged(self, message: str, actor: dict[str, str], at: datetime) -> None:
        self.urgings += 1

    def reply_to_urging(self, *, text: str, by: Actor, at: datetime) -> None:
        """催办回复: the lead unit answers the urgings it received (open or closed task)."""
        self._check_lead(by, "reply to an urging")
        if self.urgings == 0:
            raise NotUrged("the task has not been urged")
        self._urging_replied(text=values.text("text", text, max_length=values.LONG_TEXT), urgings=self.urgings,
                             actor=by.stamp(), at=at)

    @event("UrgingReplied")
    def _urging_replied(self, text: str, urgings: int, actor: dict[str, str], at: datetime) -> None:
        """A reply changes no state; it stands in the history (with how many urgings it answers)."""

    def comment(self, *, text: str, by: Actor, at: datetime) -> None:
        """督查意见: a supervisor's comment, on an open or closed task."""
        self._commented(text=values.text("text", text, max_length=values.LONG_TEXT), actor=by.stamp(), at=at)

    @event("Commented")
    def _commented(self, text: str, actor: dict[str, str], at: datetime) -> None:
        """A comment changes no state; it stands in the history."""

    def reassign(self, *, lead_unit: str, co_units: list[str], reason: str, by: Actor, at: datetime) -> None:
        """调整分工: the office changes the lead unit and/or co-units; a new lead must acknowledge anew."""
        self._check_open()
        if self.status == COMPLETION_REQUESTED:
            raise NotInProgress("decide the pending completion request before reassigning the task")
        lead_unit, co_units = _checked_units(lead_unit, co_units)
        if lead_unit == self.lead_unit and sorted(co_units) == sorted(self.co_units):
            raise InvalidValue("lead_unit", "the reassignment changes nothing")
        self._reassigned(
            lead_unit=lead_unit, co_units=co_units, reason=values.text("reason", reason), actor=by.stamp(), at=at
        )

    @event("Reassigned")
    def _reassigned(self, lead_unit: str, co_units: list[str], reason: str, actor: dict[str, str], at: datetime) -> None:
        lead_changed = lead_unit != self.lead_unit
        self.lead_unit = lead_unit
        self.co_units = list(co_units)
        keep = {lead_unit, *co_units}
        self.acknowledged = {u: t for u, t in self.acknowledged.items() if u in keep and not (lead_changed and u == lead_unit)}
        if lead_changed:
            self.status = ASSIGNED

    def cancel(self, *, reason: str, by: Actor, at: datetime) -> None:
        """撤销: the office cancels an open task, with a reason."""
        self._check_open()
        self._cancelled(reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("Cancelled")
    def _cancelled(self, reason: str, actor: dict[str, str], at: datetime) -> None:
        self.status = CANCELLED
        self.closed_at = at

    # --- derived ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def pending_extension(self) -> dict[str, Any] | None:
        for entry in self.extensions:
            if entry["decision"] is None:
                return entry
        return None

    def role_of(self, unit: str) -> str | None:
        if unit == self.lead_unit:
            return "lead"
        if unit in self.co_units:
            return "co"
        return None

    @property
    def standing(self) -> Standing:
        return Standing(
            status=self.status,
            effective_deadline=self.effective_deadline,
            feedback_every=self.feedback_every,
            feedback_since=self.last_feedback_at or self.assigned_at,
            percent=self.percent,
            milestones=tuple(self.milestones),
        )

    def is_overdue(self, now: datetime) -> bool:
        return self.standing.is_overdue(now)

    def overdue_days(self, now: datetime) -> int:
        return self.standing.overdue_days(now)

    def feedback_missed(self, now: datetime) -> bool:
        return self.standing.feedback_missed(now)

    def light(self, now: datetime) -> str | None:
        return self.standing.light(now)

    # --- guards -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self.is_open:
            raise TaskClosed(f"the task is {self.status}")

    def _check_assigned_unit(self, by: Actor) -> str:
        if self.role_of(by.unit) is None:
            raise NotAssignedUnit(f"{by.unit} is neither the lead unit nor a co-unit of this task")
        return by.unit

    def _check_lead(self, by: Actor, action: str) -> None:
        if by.unit != self.lead_unit:
            raise NotLeadUnit(f"only the lead unit ({self.lead_unit}) may {action}")


def _checked_source(source: Any) -> dict[str, Any]:
    if not isinstance(source, dict) or source.get("kind") not in SOURCE_KINDS:
        raise InvalidValue("source.kind", f"one of {', '.join(SOURCE_KINDS)}")
    if source["kind"] == "resolution":
        if not isinstance(source.get("resolution_id"), UUID):
            raise InvalidValue("source.resolution_id", "must be the id of a resolution")
        return {"kind": "resolution", "resolution_id": source["resolution_id"]}
    return {"kind": source["kind"], "reference": values.text("source.reference", source.get("reference"), max_length=values.REFERENCE)}


def _checked_units(lead_unit: Any, co_units: Any) -> tuple[str, list[str]]:
    lead_unit = values.unit_code("lead_unit", lead_unit)
    if not isinstance(co_units, list):
        raise InvalidValue("co_units", "must be a list of unit codes")
    values.items("co_units", co_units, max_items=values.MAX_CO_UNITS)
    for index, code in enumerate(co_units):
        values.unit_code(f"co_units.{index}", code)
    if lead_unit in co_units:
        raise InvalidValue("co_units", "the lead unit cannot also be a co-unit")
    if len(set(co_units)) != len(co_units):
        raise InvalidValue("co_units", "a unit is named twice")
    return lead_unit, list(co_units)


def _checked_milestones(milestones: Any, today: date, deadline: date) -> list[dict[str, Any]]:
    """阶段目标: dates ascending within [today, deadline], target percents rising to at most 100."""
    values.items("milestones", milestones, max_items=values.MAX_MILESTONES, required=True)
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(milestones):
        field = f"milestones.{index}"
        if not isinstance(item, dict):
            raise InvalidValue(field, "must be {due, target_percent, description}")
        due = values.a_date(f"{field}.due", item.get("due"))
        target = values.percent(f"{field}.target_percent", item.get("target_percent"))
        if not today <= due <= deadline:
            raise InvalidValue(f"{field}.due", "must lie between today and the deadline")
        if checked and (due <= checked[-1]["due"] or target <= checked[-1]["target_percent"]):
            raise InvalidValue(field, "milestones must come in order of date with rising target percent")
        description = values.text(f"{field}.description", item.get("description"), max_length=values.REFERENCE,
                                  required=False)
        checked.append({"due": due, "target_percent": target, "description": description})
    return checked
