"""Use cases of tasks (督办事项): assignment and every action on a task's lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from coordination.authorization import can_read_task, require_role
from coordination.files import FileUseCases
from coordination.runner import Outcome, as_uuid
from domain.actors import Actor
from domain.errors import InvalidValue, NotFound, NotPermitted
from domain.meetings import Resolution
from domain.tasks import Task


class TaskUseCases(FileUseCases):
    def assign_task(self, actor: Actor, *, title: str, description: str = "", source: dict[str, Any],
                    lead_unit: str, co_units: list[str], deadline: date | None = None, category: str | None = None,
                    milestones: list[dict[str, Any]] | None = None, feedback_every: str | None = None,
                    deadline_in_working_days: int | None = None, idempotency_key: str | None = None) -> Outcome:
        """分工落实: the office assigns a task to a lead unit and co-units with a deadline.

        The deadline is a date, or a number of working days counted from the day after the assignment day
        (民法典第二百零一条), resolved once by the calendar known now and stored as a date with its rule.
        """
        require_role(actor, "office")
        if (deadline is None) == (deadline_in_working_days is None):
            raise InvalidValue("deadline", "give either deadline or deadline_in_working_days")
        if not isinstance(source, dict):
            raise InvalidValue("source", "must be {kind, resolution_id} or {kind, reference}")
        if source.get("kind") == "resolution":
            source = {"kind": "resolution", "resolution_id": as_uuid(source.get("resolution_id"), "resolution",
                                                                      field="source.resolution_id")}

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            task_category = category
            if source.get("kind") == "resolution":
                try:
                    resolution = self._load(source["resolution_id"], Resolution, "resolution")
                except NotFound:
                    raise InvalidValue("source.resolution_id", "no such resolution") from None
                if category is not None and category != resolution.category:
                    raise InvalidValue("category", f"a task from a resolution takes its category ({resolution.category})")
                task_category = resolution.category
            elif task_category is None:
                raise InvalidValue("category", "required unless the source is a resolution")
            due, rule = deadline, None
            if deadline_in_working_days is not None:
                due, rule = self.deadline_in_working_days(deadline_in_working_days, at)
            task = Task.assign(title=title, description=description, source=source, category=task_category,
                               lead_unit=lead_unit, co_units=co_units, deadline=due, milestones=milestones,
                               feedback_every=feedback_every, by=actor, at=at, deadline_rule=rule)
            return {"id": str(task.id), "status": task.status, "version": task.version, "at": at.isoformat()}, [task]

        arguments = {"title": title, "description": description, "source": source, "category": category,
                     "lead_unit": lead_unit, "co_units": co_units, "deadline": deadline,
                     "milestones": milestones, "feedback_every": feedback_every}
        if deadline_in_working_days is not None:  # added; older keys keep their fingerprints
            arguments["deadline_in_working_days"] = deadline_in_working_days
        return self._execute(actor, "task.assigned", arguments, work, idempotency_key)

    def task(self, task_id: Any, actor: Actor | None = None, *, version: int | None = None) -> Task:
        """The task (at `version`, if given); with an actor, only if that actor may read it."""
        try:
            task = self._replayed(as_uuid(task_id, "task"), "task", version=version)
        except AggregateNotFoundError:
            raise NotFound(f"no task {task_id}") from None
        if not isinstance(task, Task):
            raise NotFound(f"no task {task_id}")
        if actor is not None and not can_read_task(actor, task):
            raise NotPermitted("this task is not assigned to your unit")
        return task

    def acknowledge(self, actor: Actor, task_id: Any, idempotency_key: str | None = None) -> Outcome:
        """签收."""
        require_role(actor, "liaison")
        return self._on_task(actor, task_id, "task.acknowledged", {}, idempotency_key,
                             lambda task, at: task.acknowledge(by=actor, at=at))

    def report_progress(self, actor: Actor, task_id: Any, *, percent: int, text: str,
                        evidence: list[dict[str, str]] | None = None, idempotency_key: str | None = None) -> Outcome:
        """报送进展 with evidence references (files uploaded before: coordination/files.py)."""
        require_role(actor, "liaison")

        def change(task: Task, at: datetime) -> None:
            digests = self.check_evidence(actor, evidence)
            task.report_progress(percent=percent, text=text, evidence=evidence, by=actor, at=at)
            self.files.cite(digests, task.id, "task")

        return self._on_task(actor, task_id, "task.progress_reported",
                             {"percent": percent, "text": text, "evidence": evidence}, idempotency_key, change)

    def request_extension(self, actor: Actor, task_id: Any, *, new_deadline: date, reason: str,
                          idempotency_key: str | None = None) -> Outcome:
        """延期申请 (lead unit only); the result carries the request number."""
        require_role(actor, "liaison")
        return self._on_task(actor, task_id, "task.extension_requested",
                             {"new_deadline": new_deadline, "reason": reason}, idempotency_key,
                             lambda task, at: {"request": task.request_extension(new_deadline=new_deadline,
                                                                                 reason=reason, by=actor, at=at)})

    def decide_extension(self, actor: Actor, task_id: Any, request: int, *, approved: bool, comment: str = "",
                         idempotency_key: str | None = None) -> Outcome:
        """审批延期 (office)."""
        require_role(actor, "office")
        return self._on_task(actor, task_id, "task.extension_decided",
                             {"request": request, "approved": approved, "comment": comment}, idempotency_key,
                             lambda task, at: task.decide_extension(request=request, approved=approved,
                                                                    comment=comment, by=actor, at=at))

    def request_completion(self, actor: Actor, task_id: Any, *, summary: str,
                           evidence: list[dict[str, str]] | None = None, idempotency_key: str | None = None) -> Outcome:
        """申请办结 (lead unit only), with evidence files uploaded before."""
        require_role(actor, "liaison")

        def change(task: Task, at: datetime) -> None:
            digests = self.check_evidence(actor, evidence)
            task.request_completion(summary=summary, evidence=evidence, by=actor, at=at)
            self.files.cite(digests, task.id, "task")

        return self._on_task(actor, task_id, "task.completion_requested",
                             {"summary": summary, "evidence": evidence}, idempotency_key, change)

    def decide_completion(self, actor: Actor, task_id: Any, *, accepted: bool, comment: str = "",
                          idempotency_key: str | None = None) -> Outcome:
        """办结审核 (office): accept, or return with a reason."""
        require_role(actor, "office")
        return self._on_task(actor, task_id, "task.completion_decided",
                             {"accepted": accepted, "comment": comment}, idempotency_key,
                             lambda task, at: task.decide_completion(accepted=accepted, comment=comment,
                                                                     by=actor, at=at))

    def urge(self, actor: Actor, task_id: Any, *, message: str, idempotency_key: str | None = None) -> Outcome:
        """催办 (office, supervisor)."""
        require_role(actor, "office", "supervisor")
        return self._on_task(actor, task_id, "task.urged", {"message": message}, idempotency_key,
                             lambda task, at: task.urge(message=message, by=actor, at=at))

    def reply_to_urging(self, actor: Actor, task_id: Any, *, text: str,
                        idempotency_key: str | None = None) -> Outcome:
        """催办回复 (liaison of the lead unit)."""
        require_role(actor, "liaison")
        return self._on_task(actor, task_id, "task.urging_replied", {"text": text}, idempotency_key,
                             lambda task, at: task.reply_to_urging(text=text, by=actor, at=at))

    def comment(self, actor: Actor, task_id: Any, *, text: str, idempotency_key: str | None = None) -> Outcome:
        """督查意见 (supervisor)."""
        require_role(actor, "supervisor")
        return self._on_task(actor, task_id, "task.commented", {"text": text}, idempotency_key,
                             lambda task, at: task.comment(text=text, by=actor, at=at))

    def reassign(self, actor: Actor, task_id: Any, *, lead_unit: str, co_units: list[str], reason: str,
                 idempotency_key: str | None = None) -> Outcome:
        """调整分工 (office)."""
        require_role(actor, "office")
        return self._on_task(actor, task_id, "task.reassigned",
                             {"lead_unit": lead_unit, "co_units": co_units, "reason": reason}, idempotency_key,
                             lambda task, at: task.reassign(lead_unit=lead_unit, co_units=co_units, reason=reason,
                                                            by=actor, at=at))

    def cancel(self, actor: Actor, task_id: Any, *, reason: str, idempotency_key: str | None = None) -> Outcome:
        """撤销 (office)."""
        require_role(actor, "office")
        return self._on_task(actor, task_id, "task.cancelled", {"reason": reason}, idempotency_key,
                             lambda task, at: task.cancel(reason=reason, by=actor, at=at))

    def _on_task(self, actor: Actor, task_id: Any, command: str, arguments: dict[str, Any], key: str | None,
                 change: Callable[[Task, datetime], dict[str, Any] | None]) -> Outcome:
        task_uuid = as_uuid(task_id, "task")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            task = self.task(task_uuid, actor)
            extra = change(task, at) or {}
            return {"id": str(task.id), "status": task.status, "version": task.version, "at": at.isoformat(),
                    **extra}, [task]

        return self._execute(actor, command, {"task": str(task_uuid), **arguments}, work, key)
