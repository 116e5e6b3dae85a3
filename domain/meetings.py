"""Meetings (会议), their minutes (会议纪要) and the resolutions (议定事项) the minutes adopt.

A meeting is scheduled, then held (attendance recorded), its minutes drafted (repeatably), then
issued (印发) with a number such as 鹿文协纪〔2026〕1号. Issued minutes never change: a correction
(勘误) is its own event. Items are decided by 集体讨论、协商一致 (第八条): an item with recorded
dissent cannot be agreed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import Actor
from domain.deadlines import local_date
from domain.errors import DissentBlocksAgreement, InvalidValue, MeetingNotHeld, MinutesFrozen, MinutesNotIssued

KINDS = ("plenary", "office")
PLENARIES_PER_YEAR = (1, 2)
"""第七条: the group holds one or two plenaries (全体会议) a year."""
OUTCOMES = ("agreed", "deferred")

SCHEDULED = "scheduled"
HELD = "held"
MINUTES_DRAFTED = "minutes_drafted"
MINUTES_ISSUED = "minutes_issued"

MEETINGS_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:meetings")


class Meeting(Aggregate):
    """会议: a plenary (全体会议, 第七条) or an office working meeting (办公室成员工作会议)."""

    @classmethod
    def schedule(
        cls,
        *,
        kind: str,
        title: str,
        date: date,
        location: str,
        chair: str,
        topics: list[UUID],
        by: Actor,
        at: datetime,
    ) -> Meeting:
        if kind not in KINDS:
            raise InvalidValue("kind", "one of plenary, office")
        return cls(
            kind=kind,
            title=values.text("title", title, max_length=values.TITLE),
            date=values.date_ahead("date", date, local_date(at)),
            location=values.text("location", location, max_length=values.TITLE),
            chair=values.text("chair", chair, max_length=values.SHORT),
            topics=list(values.items("topics", topics, max_items=values.MAX_AGENDA)),
            actor=by.stamp(),
            at=at,
        )

    @event("Scheduled")
    def __init__(
        self, kind: str, title: str, date: date, location: str, chair: str, topics: list[UUID], actor: dict, at: datetime
    ):
        self.kind = kind
        self.title = title
        self.date = date
        self.location = location
        self.chair = chair
        self.topics = topics
        self.status = SCHEDULED
        self.attendance: dict[str, Any] | None = None
        self.minutes: dict[str, Any] | None = None
        self.issued_at: datetime | None = None
        self.corrections = 0

    def record_attendance(
        self, *, present: list[str], absent: list[dict[str, str]], invited: list[str] | None, by: Actor, at: datetime
    ) -> None:
        """出席情况: units present, absent with reason, invited non-members (列席). Only on or after the meeting day."""
        self._check_not_issued()
        if local_date(at) < self.date:
            raise MeetingNotHeld(f"the meeting is on {self.date.isoformat()}; attendance is recorded once it is held")
        if not values.items("present", present, max_items=values.MAX_ATTENDANCE):
            raise InvalidValue("present", "at least one unit must be present")
        present = [values.unit_code(f"present.{i}", code) for i, code in enumerate(present)]
        values.items("absent", absent, max_items=values.MAX_ATTENDANCE, required=True)
        checked_absent = []
        for i, entry in enumerate(absent):
            if not isinstance(entry, dict):
                raise InvalidValue(f"absent.{i}", "must be {unit, reason}")
            checked_absent.append(
                {
                    "unit": values.unit_code(f"absent.{i}.unit", entry.get("unit")),
                    "reason": values.text(f"absent.{i}.reason", entry.get("reason"), max_length=values.TITLE),
                }
            )
        named = present + [entry["unit"] for entry in checked_absent]
        if len(set(named)) != len(named):
            raise InvalidValue("absent", "a unit is named twice, or both present and absent")
        invited = [values.text(f"invited.{i}", name, max_length=values.SHORT)
                   for i, name in enumerate(values.items("invited", invited, max_items=values.MAX_INVITED))]
        self._attendance_recorded(present=present, absent=checked_absent, invited=invited, actor=by.stamp(), at=at)

    @event("AttendanceRecorded")
    def _attendance_recorded(
        self, present: list[str], absent: list[dict[str, str]], invited: list[str], actor: dict, at: datetime
    ) -> None:
        self.attendance = {"present": present, "absent": absent, "invited": invited}
        if self.status == SCHEDULED:
            self.status = HELD

    def draft_minutes(
        self, *, number: str, summary: str, items: list[dict[str, Any]], by: Actor, at: datetime
    ) -> None:
        """起草会议纪要: repeatable until the minutes are issued."""
        self._check_not_issued()
        if self.status == SCHEDULED:
            raise MeetingNotHeld("record the attendance before drafting the minutes")
        self._minutes_drafted(
            number=values.text("number", number, max_length=values.MINUTES_NUMBER),
            summary=values.text("summary", summary, max_length=values.MINUTES),
            items=_checked_items(items),
            actor=by.stamp(),
            at=at,
        )

    @event("MinutesDrafted")
    def _minutes_drafted(self, number: str, summary: str, items: list[dict[str, Any]], actor: dict, at: datetime) -> None:
        self.minutes = {"number": number, "summary": summary, "items": items}
        self.status = MINUTES_DRAFTED

    def issue_minutes(self, *, by: Actor, at: datetime) -> list[int]:
        """印发: freeze the minutes and send them to all units. Returns the indexes of the agreed items."""
        self._check_not_issued()
        if self.status != MINUTES_DRAFTED or self.minutes is None:
            raise MeetingNotHeld("there are no drafted minutes to issue")
        self._minutes_issued(number=self.minutes["number"], actor=by.stamp(), at=at)
        return [i for i, item in enumerate(self.minutes["items"]) if item["outcome"] == "agreed"]

    @event("MinutesIssued")
    def _minutes_issued(self, number: str, actor: dict, at: datetime) -> None:
        self.status = MINUTES_ISSUED
        self.issued_at = at

    def correct_minutes(self, *, correction: str, reason: str, by: Actor, at: datetime) -> None:
        """勘误: a correction to issued minutes, recorded beside them; the minutes themselves never change."""
        if self.status != MINUTES_ISSUED:
            raise MinutesNotIssued("only issued minutes are corrected; edit the draft instead")
        self._minutes_corrected(
            correction=values.text("correction", correction, max_length=values.LONG_TEXT),
            reason=values.text("reason", reason),
            actor=by.stamp(),
            at=at,
        )

    @event("MinutesCorrected")
    def _minutes_corrected(self, correction: str, reason: str, actor: dict, at: datetime) -> None:
        self.corrections += 1

    def _check_not_issued(self) -> None:
        if self.status == MINUTES_ISSUED:
            raise MinutesFrozen("the minutes have been issued and can no longer change")


class MinutesNumber(Aggregate):
    """A minutes number (纪要编号) in use: its id derives from the number, so no two issued minutes share one."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(MEETINGS_NAMESPACE, f"minutes-number:{number}")

    @event("Reserved")
    def __init__(self, number: str, meeting_id: UUID, actor: dict, at: datetime):
        self.number = number
        self.meeting_id = meeting_id


class Resolution(Aggregate):
    """议定事项: an agreed item of issued minutes; the office splits it into tasks."""

    @staticmethod
    def create_id(meeting_id: UUID, item: int) -> UUID:
        return uuid5(MEETINGS_NAMESPACE, f"resolution:{meeting_id}:{item}")

    @event("Adopted")
    def __init__(
        self, meeting_id: UUID, item: int, title: str, text: str, category: str, minutes_number: str, actor: dict, at: datetime
    ):
        self.meeting_id = meeting_id
        self.item = item
        self.title = title
        self.text = text
        self.category = category
        self.minutes_number = minutes_number
        self.adopted_at = at


def _checked_items(items: Any) -> list[dict[str, Any]]:
    if not values.items("items", items, max_items=values.MAX_MINUTE_ITEMS, required=True):
        raise InvalidValue("items", "the minutes need at least one item")
    checked = []
    for i, item in enumerate(items):
        field = f"items.{i}"
        if not isinstance(item, dict):
            raise InvalidValue(field, "must be {title, text, category, outcome, dissent?}")
        outcome = item.get("outcome")
        if outcome not in OUTCOMES:
            raise InvalidValue(f"{field}.outcome", "one of agreed, deferred")
        dissent_in = values.items(f"{field}.dissent", item.get("dissent"), max_items=values.MAX_DISSENT)
        dissent = []
        for j, entry in enumerate(dissent_in):
            if not isinstance(entry, dict):
                raise InvalidValue(f"{field}.dissent.{j}", "must be {unit, opinion}")
            dissent.append(
                {
                    "unit": values.unit_code(f"{field}.dissent.{j}.unit", entry.get("unit")),
                    "opinion": values.text(f"{field}.dissent.{j}.opinion", entry.get("opinion"), max_length=values.TEXT),
                }
            )
        if outcome == "agreed" and dissent:
            raise DissentBlocksAgreement(
                f"{field}.outcome", "an item with recorded dissent cannot be agreed (集体讨论、协商一致); defer it"
            )
        checked.append(
            {
                "title": values.text(f"{field}.title", item.get("title"), max_length=values.TITLE),
                "text": values.text(f"{field}.text", item.get("text"), max_length=values.LONG_TEXT),
                "category": values.category(f"{field}.category", item.get("category")),
                "outcome": outcome,
                "dissent": dissent,
            }
        )
    return checked
