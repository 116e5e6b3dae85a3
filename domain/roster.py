"""The group (协调组) and its member units (成员单位) with their member and liaison (第三条, 第四条)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import Actor

ROSTER_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:roster")


class Group(Aggregate):
    """协调组: name, convener (召集人), office host unit and office director. One per ledger."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(ROSTER_NAMESPACE, "group")

    @event("Established")
    def __init__(self, name: str, convener: str, office_unit: str, office_director: str, actor: dict, at: datetime):
        self.name = name
        self.convener = convener
        self.office_unit = office_unit
        self.office_director = office_director


class MemberUnit(Aggregate):
    """成员单位: code, names, duties (职责分工), one member (成员, a leader) and one liaison (联络员)."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(ROSTER_NAMESPACE, f"unit:{code}")

    @event("Enrolled")
    def __init__(self, code: str, name: str, short_name: str, duties: list[str], actor: dict, at: datetime):
        self.code = code
        self.name = name
        self.short_name = short_name
        self.duties = list(duties)
        self.member: dict[str, str] | None = None
        self.liaison: dict[str, str] | None = None

    def change_member(self, *, name: str, title: str, phone: str | None, reason: str, by: Actor, at: datetime) -> None:
        """调整成员 (第四条): the unit's leader on the group changes."""
        self._member_changed(person=_person(name, title, phone), reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("MemberChanged")
    def _member_changed(self, person: dict[str, str], reason: str, actor: dict, at: datetime) -> None:
        self.member = person

    def change_liaison(self, *, name: str, title: str, phone: str | None, reason: str, by: Actor, at: datetime) -> None:
        """调整联络员 (第四条): the unit's section head who liaises with the office changes."""
        self._liaison_changed(person=_person(name, title, phone), reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("LiaisonChanged")
    def _liaison_changed(self, person: dict[str, str], reason: str, actor: dict, at: datetime) -> None:
        self.liaison = person

    def record_notification_settings(self, *, webhook: bool, emails: int, by: Actor, at: datetime) -> None:
        """消息推送设置: which channels the unit's notifications go to. Only that they changed, and by whom:
        the addresses and the robot's secret are kept out of the log."""
        self._notification_settings_changed(webhook=bool(webhook), emails=int(emails), actor=by.stamp(), at=at)

    @event("NotificationSettingsChanged")
    def _notification_settings_changed(self, webhook: bool, emails: int, actor: dict, at: datetime) -> None:
        """The settings themselves are not state of the roster."""


def _person(name: str, title: str, phone: str | None) -> dict[str, str]:
    return {
        "name": values.text("name", name, max_length=values.NAME),
        "title": values.text("title", title, max_length=values.SHORT),
        "phone": values.text("phone", phone, max_length=values.PHONE, required=False),
    }
