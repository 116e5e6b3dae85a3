"""Use cases of topics (议题), meetings, minutes (会议纪要) and the resolutions they adopt (议定事项)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from coordination.authorization import require_own_unit, require_role
from coordination.runner import CommandRunner, Outcome, as_uuid
from domain.actors import Actor
from domain.errors import DuplicateMinutesNumber, InvalidValue, NotFound
from domain.meetings import Meeting, MinutesNumber, Resolution
from domain.topics import Topic


class MeetingUseCases(CommandRunner):
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

    def schedule_meeting(self, actor: Actor, *, kind: str, title: str, date: date, location: str, chair: str,
                         topics: list[Any] | None = None, idempotency_key: str | None = None) -> Outcome:
        """安排会议: the office schedules a meeting, optionally with accepted topics on its agenda."""
        require_role(actor, "office")
        topic_ids = [as_uuid(t, "topic") for t in topics or []]
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
