"""Topics (议题) collected by the office (征集议题, 第六条), placed on a meeting's agenda and concluded there."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import Actor
from domain.errors import TopicNotOpen

PROPOSED = "proposed"
ACCEPTED = "accepted"
DECLINED = "declined"
ON_AGENDA = "on_agenda"
CONCLUDED = "concluded"


class Topic(Aggregate):
    """议题: proposed by the office or a unit; accepted or declined by the office; concluded by a meeting."""

    @classmethod
    def propose(cls, *, title: str, background: str, proposed_by: str, by: Actor, at: datetime) -> Topic:
        return cls(
            title=values.text("title", title, max_length=values.TITLE),
            background=values.text("background", background, max_length=values.LONG_TEXT, required=False),
            proposed_by=values.unit_code("proposed_by", proposed_by),
            actor=by.stamp(),
            at=at,
        )

    @event("Proposed")
    def __init__(self, title: str, background: str, proposed_by: str, actor: dict, at: datetime):
        self.title = title
        self.background = background
        self.proposed_by = proposed_by
        self.status = PROPOSED
        self.meeting_id: UUID | None = None

    def accept(self, *, by: Actor, at: datetime) -> None:
        self._check_status(PROPOSED, "accepted")
        self._accepted(actor=by.stamp(), at=at)

    @event("Accepted")
    def _accepted(self, actor: dict, at: datetime) -> None:
        self.status = ACCEPTED

    def decline(self, *, reason: str, by: Actor, at: datetime) -> None:
        self._check_status(PROPOSED, "declined")
        self._declined(reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("Declined")
    def _declined(self, reason: str, actor: dict, at: datetime) -> None:
        self.status = DECLINED

    def place_on_agenda(self, *, meeting_id: UUID, by: Actor, at: datetime) -> None:
        self._check_status(ACCEPTED, "placed on an agenda")
        self._placed_on_agenda(meeting_id=meeting_id, actor=by.stamp(), at=at)

    @event("PlacedOnAgenda")
    def _placed_on_agenda(self, meeting_id: UUID, actor: dict, at: datetime) -> None:
        self.status = ON_AGENDA
        self.meeting_id = meeting_id

    def conclude(self, *, meeting_id: UUID, by: Actor, at: datetime) -> None:
        if self.status != ON_AGENDA or self.meeting_id != meeting_id:
            raise TopicNotOpen("the topic is not on this meeting's agenda")
        self._concluded(meeting_id=meeting_id, actor=by.stamp(), at=at)

    @event("Concluded")
    def _concluded(self, meeting_id: UUID, actor: dict, at: datetime) -> None:
        self.status = CONCLUDED

    def _check_status(self, expected: str, action: str) -> None:
        if self.status != expected:
            raise TopicNotOpen(f"a {self.status} topic cannot be {action}")
