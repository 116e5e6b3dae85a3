"""The ledger application: one method per use case (load → command → save), on PostgreSQL.

Each command method authorises the actor, runs the domain command with the service clock's
instant, and saves every changed aggregate in one atomic `save()` together with the idempotency
record when an Idempotency-Key was given. A save that loses an optimistic-concurrency race is
retried from a fresh load a bounded number of times. Commands return an `Outcome` carrying the
log position (notification id) they wrote.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, ProgrammingError, Transcoding

from coordination import passwords
from coordination.authorization import can_read_task, require_own_unit, require_role
from coordination.clock import Clock, SystemClock
from coordination.config import ConfigurationError
from coordination.errors import (
    AlreadyExists,
    AuthenticationFailed,
    ConcurrentChange,
    IdempotencyConflict,
    ReportAlreadyIssued,
    StoreNotReady,
)
from domain.actors import Actor
from domain.errors import AccountDisabled, DuplicateMinutesNumber, InvalidValue, NotFound, NotPermitted
from domain.idempotency import IdempotencyRecord
from domain.meetings import Meeting, MinutesNumber, Resolution
from domain.reports import Period, SupervisionReport
from domain.roster import Group, MemberUnit
from domain.tasks import Task
from domain.topics import Topic
from domain.units import GROUP_CONVENER, GROUP_NAME, OFFICE_DIRECTOR, OFFICE_UNIT, UNITS
from domain.users import User

log = structlog.get_logger(__name__)

A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.005
SECRET_FIELDS = frozenset({"password_hash"})
"""Event fields never shown outside the write side (the audit log, history)."""


class DateAsISO(Transcoding):
    """Calendar dates (deadlines, meeting days) as ISO strings in stored events."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Outcome:
    """What a command returns: its result, the log position it wrote, whether it was a replay."""

    result: dict[str, Any]
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class LoggedEvent:
    """One event of the log, in the domain's words (e.g. `Task.Acknowledged`)."""

    position: int | None
    """The log position (notification id); None where read from the aggregate's own stream."""
    type: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    actor: dict[str, str]
    at: datetime
    data: dict[str, Any]
    event: Any = field(default=None, compare=False, repr=False)
    """The domain event itself, for views that replay the domain's own state changes."""


class Ledger(Application[UUID]):
    """协调台账: the write side of the coordination ledger."""

    name = "ledger"
    snapshotting_intervals = {Task: 20, Meeting: 20}

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock | None = None, allow_memory: bool = False):
        super().__init__(env)
        if not allow_memory and self.factory.__class__.__module__ != "eventsourcing.postgres":
            raise ConfigurationError(
                f"the ledger must store its events in PostgreSQL, not {self.factory.__class__.__module__}; "
                "set DATABASE_URL or leave it unset for the embedded PostgreSQL"
            )
        self.clock: Clock = clock or SystemClock()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- the command runner -------------------------------------------------------------------

    def _execute(
        self,
        actor: Actor,
        command: str,
        arguments: dict[str, Any],
        work: Callable[[datetime], tuple[dict[str, Any], Sequence[Aggregate]]],
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Run `work` and save what it changed, atomically with the idempotency record; retry on conflict."""
        fingerprint = _fingerprint(command, arguments)
        record_id = None
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
                raise InvalidValue("Idempotency-Key", "must be 1–200 characters")
            record_id = IdempotencyRecord.create_id(actor.username, idempotency_key)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if record_id is not None:
                replay = self._replay(record_id, fingerprint)
                if replay is not None:
                    return replay
            at = self.clock.now()
            result, changed = work(at)
            pending: list[Aggregate] = list(changed)
            if record_id is not None:
                pending.append(
                    IdempotencyRecord(
                        username=actor.username,
                        key=idempotency_key,
                        fingerprint=fingerprint,
                        result=result,
                        actor=actor.stamp(),
                        at=at,
                    )
                )
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                log.info("command.conflict_retry", command=command, attempt=attempt)
                # Jittered exponential back-off, so that two steady writers stop colliding.
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
                continue
            position = max(r.notification.id for r in recordings) if recordings else self.position()
            log.info(command, actor=actor.username, unit=actor.unit, position=position)
            return Outcome(result=result, position=position)
        raise ConcurrentChange(f"{command}: another change to the same record won {MAX_ATTEMPTS} times; try again")

    def _replay(self, record_id: UUID, fingerprint: str) -> Outcome | None:
        try:
            record = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return Outcome(result=record.result, position=self.position(), replayed=True)

    def position(self) -> int:
        """The newest log position (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def _load(self, aggregate_id: Any, kind: type[A], what: str) -> A:
        try:
            aggregate = self.repository.get(_as_uuid(aggregate_id, what))
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # --- roster (协调组, 成员单位) -------------------------------------------------------------

    def establish(self, actor: Actor) -> Outcome | None:
        """Seed the group and its 26 member units (coordination init); does nothing when present."""
        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            if self._exists(Group.create_id()):
                raise AlreadyExists("the group is already set up")
            group = Group(
                name=GROUP_NAME,
                convener=GROUP_CONVENER,
                office_unit=OFFICE_UNIT,
                office_director=OFFICE_DIRECTOR,
                actor=actor.stamp(),
                at=at,
            )
            units = [
                MemberUnit(
                    code=u.code, name=u.name, short_name=u.short_name, duties=list(u.duties), actor=actor.stamp(), at=at
                )
                for u in UNITS
            ]
            return {"units": len(units)}, [group, *units]

        try:
            return self._execute(actor, "roster.established", {}, work)
        except AlreadyExists:
            return None

    def group(self) -> Group:
        """The group; a clear StoreNotReady when `coordination init` has not run against this store."""
        try:
            return self.repository.get(Group.create_id())
        except (AggregateNotFoundError, ProgrammingError):
            raise StoreNotReady("the store is not initialised: run `coordination init` first") from None

    def unit(self, code: str) -> MemberUnit:
        return self._load(MemberUnit.create_id(code) if isinstance(code, str) else code, MemberUnit, "unit")

    def units(self) -> list[MemberUnit]:
        return [self.unit(u.code) for u in UNITS]

    def change_member(self, actor: Actor, code: str, *, name: str, title: str, phone: str | None = None,
                      reason: str, idempotency_key: str | None = None) -> Outcome:
        """调整成员 (第四条)."""
        return self._change_person(actor, code, "member", name, title, phone, reason, idempotency_key)

    def change_liaison(self, actor: Actor, code: str, *, name: str, title: str, phone: str | None = None,
                       reason: str, idempotency_key: str | None = None) -> Outcome:
        """调整联络员 (第四条)."""
        return self._change_person(actor, code, "liaison", name, title, phone, reason, idempotency_key)

    def _change_person(self, actor: Actor, code: str, which: str, name: str, title: str, phone: str | None,
                       reason: str, idempotency_key: str | None) -> Outcome:
        require_own_unit(actor, code)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            unit = self.unit(code)
            change = unit.change_member if which == "member" else unit.change_liaison
            change(name=name, title=title, phone=phone, reason=reason, by=actor, at=at)
            return {"unit": code}, [unit]

        arguments = {"unit": code, "name": name, "title": title, "phone": phone, "reason": reason}
        return self._execute(actor, f"unit.{which}_changed", arguments, work, idempotency_key)

    # --- users ------------------------------------------------------------------------------------

    def register_user(self, actor: Actor, *, username: str, password: str, unit: str, roles: list[str],
                      display_name: str = "", idempotency_key: str | None = None) -> Outcome:
        """开户: an admin creates an account for one member unit with one or more roles."""
        require_role(actor, "admin")
        password_hash = passwords.hash_password(password)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = User.register(username=username, display_name=display_name, unit=unit, roles=roles,
                                 password_hash=password_hash, by=actor, at=at)
            if self._exists(user.id):
                raise AlreadyExists(f"the username {username} is taken")
            return {"username": username, "unit": unit, "roles": user.roles}, [user]

        arguments = {"username": username, "unit": unit, "roles": roles, "display_name": display_name}
        return self._execute(actor, "user.registered", arguments, work, idempotency_key)

    def user(self, username: str) -> User:
        if not isinstance(username, str):
            raise NotFound("no such user")
        return self._load(User.create_id(username), User, "user")

    def authenticate(self, username: str, password: str) -> Actor:
        """The actor for these credentials; the same error for an unknown user and a wrong password."""
        try:
            user = self.user(username)
        except NotFound:
            user = None
        if not passwords.verify_password(user.password_hash if user else None, password if isinstance(password, str) else ""):
            raise AuthenticationFailed("wrong username or password")
        assert user is not None
        if user.disabled:
            raise AccountDisabled("this account is disabled")
        return user.as_actor()

    def change_password(self, actor: Actor, username: str, *, password: str) -> Outcome:
        """A user changes their own password; an admin may reset anyone's."""
        if actor.username != username:
            require_role(actor, "admin")
        password_hash = passwords.hash_password(password)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = self.user(username)
            user.change_password(password_hash=password_hash, by=actor, at=at)
            return {"username": username}, [user]

        return self._execute(actor, "user.password_changed", {"username": username}, work)

    def disable_user(self, actor: Actor, username: str, *, reason: str) -> Outcome:
        require_role(actor, "admin")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = self.user(username)
            user.disable(reason=reason, by=actor, at=at)
            return {"username": username}, [user]

        return self._execute(actor, "user.disabled", {"username": username, "reason": reason}, work)

    # --- topics (议题) -----------------------------------------------------------------------------

    def propose_topic(self, actor: Actor, *, title: str, background: str = "", proposed_by: str | None = None,
                      idempotency_key: str | None = None) -> Outcome:
        """征集议题: the office or a unit's liaison proposes a topic."""
        require_role(actor, "office", "liaison")
        unit = proposed_by or actor.unit
        require_own_unit(actor, unit)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            topic = Topic.propose(title=title, background=background, proposed_by=unit, by=actor, at=at)
            return {"id": str(topic.id), "status": topic.status}, [topic]

        arguments = {"title": title, "background": background, "proposed_by": unit}
        return self._execute(actor, "topic.proposed", arguments, work, idempotency_key)

    def accept_topic(self, actor: Actor, topic_id: Any, idempotency_key: str | None = None) -> Outcome:
        return self._topic_decision(actor, topic_id, None, idempotency_key)

    def decline_topic(self, actor: Actor, topic_id: Any, *, reason: str, idempotency_key: str | None = None) -> Outcome:
        return self._topic_decision(actor, topic_id, reason, idempotency_key)

    def _topic_decision(self, actor: Actor, topic_id: Any, decline_reason: str | None, key: str | None) -> Outcome:
        require_role(actor, "office")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            topic = self._load(topic_id, Topic, "topic")
            if decline_reason is None:
                topic.accept(by=actor, at=at)
            else:
                topic.decline(reason=decline_reason, by=actor, at=at)
            return {"id": str(topic.id), "status": topic.status}, [topic]

        command = "topic.accepted" if decline_reason is None else "topic.declined"
        return self._execute(actor, command, {"topic": str(topic_id), "reason": decline_reason}, work, key)

    def topic(self, topic_id: Any) -> Topic:
        return self._load(topic_id, Topic, "topic")

    # --- meetings, minutes, resolutions (会议, 会议纪要, 议定事项) ------------------------------------

    def schedule_meeting(self, actor: Actor, *, kind: str, title: str, date: date, location: str, chair: str,
                         topics: list[Any] | None = None, idempotency_key: str | None = None) -> Outcome:
        """安排会议: the office schedules a meeting, optionally with accepted topics on its agenda."""
        require_role(actor, "office")
        topic_ids = [_as_uuid(t, "topic") for t in topics or []]
        if len(set(topic_ids)) != len(topic_ids):
            raise InvalidValue("topics", "a topic is named twice")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            meeting = Meeting.schedule(kind=kind, title=title, date=date, location=location, chair=chair,
                                       topics=topic_ids, by=actor, at=at)
            agenda = []
            for index, topic_id in enumerate(topic_ids):
                try:
                    topic = self._load(topic_id, Topic, "topic")
                except NotFound:
                    raise InvalidValue(f"topics.{index}", "no such topic") from None
                topic.place_on_agenda(meeting_id=meeting.id, by=actor, at=at)
                agenda.append(topic)
            return {"id": str(meeting.id), "status": meeting.status}, [meeting, *agenda]

        arguments = {"kind": kind, "title": title, "date": date, "location": location, "chair": chair,
                     "topics": topic_ids}
        return self._execute(actor, "meeting.scheduled", arguments, work, idempotency_key)

    def record_attendance(self, actor: Actor, meeting_id: Any, *, present: list[str], absent: list[dict[str, str]],
                          invited: list[str] | None = None, idempotency_key: str | None = None) -> Outcome:
        """记录出席: units present, absent with reason, invited guests (列席)."""
        return self._on_meeting(actor, meeting_id, "meeting.attendance_recorded",
                                {"present": present, "absent": absent, "invited": invited}, idempotency_key,
                                lambda meeting, at: meeting.record_attendance(present=present, absent=absent,
                                                                              invited=invited, by=actor, at=at))

    def draft_minutes(self, actor: Actor, meeting_id: Any, *, number: str, summary: str, items: list[dict[str, Any]],
                      idempotency_key: str | None = None) -> Outcome:
        """起草会议纪要 (repeatable until issued)."""
        return self._on_meeting(actor, meeting_id, "meeting.minutes_drafted",
                                {"number": number, "summary": summary, "items": items}, idempotency_key,
                                lambda meeting, at: meeting.draft_minutes(number=number, summary=summary,
                                                                          items=items, by=actor, at=at))

    def _on_meeting(self, actor: Actor, meeting_id: Any, command: str, arguments: dict[str, Any], key: str | None,
                    change: Callable[[Meeting, datetime], None]) -> Outcome:
        require_role(actor, "office")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            meeting = self._load(meeting_id, Meeting, "meeting")
            change(meeting, at)
            return {"id": str(meeting.id), "status": meeting.status, "corrections": meeting.corrections}, [meeting]

        return self._execute(actor, command, {"meeting": str(meeting_id), **arguments}, work, key)

    def issue_minutes(self, actor: Actor, meeting_id: Any, idempotency_key: str | None = None) -> Outcome:
        """印发会议纪要: freeze the minutes; each agreed item becomes a resolution; agenda topics conclude."""
        require_role(actor, "office")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            meeting = self._load(meeting_id, Meeting, "meeting")
            agreed = meeting.issue_minutes(by=actor, at=at)
            number = meeting.minutes["number"]
            if self._exists(MinutesNumber.create_id(number)):
                raise DuplicateMinutesNumber(f"minutes number {number} is already in use")
            reservation = MinutesNumber(number=number, meeting_id=meeting.id, actor=actor.stamp(), at=at)
            resolutions = []
            for index in agreed:
                item = meeting.minutes["items"][index]
                resolutions.append(
                    Resolution(meeting_id=meeting.id, item=index, title=item["title"], text=item["text"],
                               category=item["category"], minutes_number=number, actor=actor.stamp(), at=at)
                )
            topics = []
            for topic_id in meeting.topics:
                topic = self._load(topic_id, Topic, "topic")
                topic.conclude(meeting_id=meeting.id, by=actor, at=at)
                topics.append(topic)
            result = {
                "resolutions": [
                    {"id": str(r.id), "item": r.item, "title": r.title, "category": r.category} for r in resolutions
                ]
            }
            return result, [meeting, reservation, *resolutions, *topics]

        return self._execute(actor, "meeting.minutes_issued", {"meeting": str(meeting_id)}, work, idempotency_key)

    def correct_minutes(self, actor: Actor, meeting_id: Any, *, correction: str, reason: str,
                        idempotency_key: str | None = None) -> Outcome:
        """勘误: a correction beside issued minutes."""
        return self._on_meeting(actor, meeting_id, "meeting.minutes_corrected",
                                {"correction": correction, "reason": reason}, idempotency_key,
                                lambda meeting, at: meeting.correct_minutes(correction=correction, reason=reason,
                                                                            by=actor, at=at))

    def meeting(self, meeting_id: Any) -> Meeting:
        return self._load(meeting_id, Meeting, "meeting")

    def resolution(self, resolution_id: Any) -> Resolution:
        return self._load(resolution_id, Resolution, "resolution")

    # --- tasks (督办事项) --------------------------------------------------------------------------

    def assign_task(self, actor: Actor, *, title: str, description: str = "", source: dict[str, Any],
                    lead_unit: str, co_units: list[str], deadline: date, category: str | None = None,
                    milestones: list[dict[str, Any]] | None = None, feedback_every: str | None = None,
                    idempotency_key: str | None = None) -> Outcome:
        """分工落实: the office assigns a task to a lead unit and co-units with a deadline."""
        require_role(actor, "office")
        if not isinstance(source, dict):
            raise InvalidValue("source", "must be {kind, resolution_id} or {kind, reference}")
        if source.get("kind") == "resolution":
            source = {"kind": "resolution", "resolution_id": _as_uuid(source.get("resolution_id"), "resolution",
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
            task = Task.assign(title=title, description=description, source=source, category=task_category,
                               lead_unit=lead_unit, co_units=co_units, deadline=deadline, milestones=milestones,
                               feedback_every=feedback_every, by=actor, at=at)
            return {"id": str(task.id), "status": task.status, "version": task.version, "at": at.isoformat()}, [task]

        arguments = {"title": title, "description": description, "source": source, "category": category,
                     "lead_unit": lead_unit, "co_units": co_units, "deadline": deadline,
                     "milestones": milestones, "feedback_every": feedback_every}
        return self._execute(actor, "task.assigned", arguments, work, idempotency_key)

    def task(self, task_id: Any, actor: Actor | None = None, *, version: int | None = None) -> Task:
        """The task (at `version`, if given); with an actor, only if that actor may read it."""
        try:
            task = self.repository.get(_as_uuid(task_id, "task"), version=version)
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
        """报送进展 with evidence references."""
        require_role(actor, "liaison")
        return self._on_task(actor, task_id, "task.progress_reported",
                             {"percent": percent, "text": text, "evidence": evidence}, idempotency_key,
                             lambda task, at: task.report_progress(percent=percent, text=text, evidence=evidence,
                                                                   by=actor, at=at))

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
        """申请办结 (lead unit only)."""
        require_role(actor, "liaison")
        return self._on_task(actor, task_id, "task.completion_requested",
                             {"summary": summary, "evidence": evidence}, idempotency_key,
                             lambda task, at: task.request_completion(summary=summary, evidence=evidence,
                                                                      by=actor, at=at))

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
        task_uuid = _as_uuid(task_id, "task")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            task = self.task(task_uuid, actor)
            extra = change(task, at) or {}
            return {"id": str(task.id), "status": task.status, "version": task.version, "at": at.isoformat(),
                    **extra}, [task]

        return self._execute(actor, command, {"task": str(task_uuid), **arguments}, work, key)

    # --- the half-yearly supervision report (半年督查报告) -------------------------------------------

    def issue_report(self, actor: Actor, *, period: Period, report: dict[str, Any], narrative: str,
                     idempotency_key: str | None = None) -> Outcome:
        """印发督查报告 (supervisor): freeze the figures computed at report["log_position"]; once per period."""
        require_role(actor, "supervisor")
        if report.get("period") != period.code:
            raise InvalidValue("period", "the report was computed for another period")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            self.check_not_issued(period)
            issued = SupervisionReport.issue(period=period, report=report, narrative=narrative, by=actor, at=at)
            return {"period": period.code, "log_position": issued.log_position, "sha256": issued.sha256}, [issued]

        return self._execute(actor, "report.issued", {"period": period.code, "narrative": narrative}, work,
                             idempotency_key)

    def check_not_issued(self, period: Period) -> None:
        if self._exists(SupervisionReport.create_id(period.code)):
            raise ReportAlreadyIssued(f"the {period.code} report has already been issued")

    def issued_report(self, period: Period) -> SupervisionReport:
        return self._load(SupervisionReport.create_id(period.code), SupervisionReport, "issued report for")

    # --- the log ----------------------------------------------------------------------------------

    def read_log(self, after: int = 0, limit: int = 1000) -> list[LoggedEvent]:
        """Events after log position `after`, oldest first, in the domain's words; secrets left out."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidValue("limit", "must be from 1 to 1000")
        notifications = self.recorder.select_notifications(start=after + 1, limit=limit)
        logged = []
        return [_logged(self.mapper.to_domain_event(n), n.id) for n in notifications]

    def iter_log(self, after: int = 0, batch: int = 1000) -> Iterator[LoggedEvent]:
        while True:
            page = self.read_log(after, batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1].position

    def history(self, aggregate_id: Any, actor: Actor | None = None) -> list[LoggedEvent]:
        """Every event of one task, oldest first (for a liaison: only a task of its unit)."""
        task = self.task(aggregate_id, actor)
        return [_logged(e, None) for e in self.events.get(task.id)]

    def is_empty(self) -> bool:
        """True when nothing beyond the roster set-up has been recorded (no users, meetings or tasks)."""
        return all(e.aggregate_type in {"Group", "MemberUnit"} for e in self.read_log(0, 100))


def _logged(domain_event: Any, position: int | None) -> LoggedEvent:
    state = {k: v for k, v in domain_event.__dict__.items()
             if k not in {"originator_id", "originator_version", "timestamp", "originator_topic"}}
    actor = state.pop("actor", {})
    at = state.pop("at", domain_event.timestamp)
    qualname = type(domain_event).__qualname__
    return LoggedEvent(
        position=position,
        type=qualname,
        aggregate_type=qualname.split(".")[0],
        aggregate_id=domain_event.originator_id,
        version=domain_event.originator_version,
        actor=actor,
        at=at,
        data={k: v for k, v in state.items() if k not in SECRET_FIELDS},
        event=domain_event,
    )


def _as_uuid(value: Any, what: str, *, field: str | None = None) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        if field:
            raise InvalidValue(field, f"not a {what} id") from None
        raise NotFound(f"no {what} {value}") from None


def _fingerprint(command: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"command": command, "arguments": arguments}, sort_keys=True, default=str,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

