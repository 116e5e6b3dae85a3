"""Use cases of the roster (协调组, 成员单位): seeding the group and its 26 units; members and liaisons (第四条)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ProgrammingError

from coordination.authorization import require_own_unit
from coordination.errors import AlreadyExists, StoreNotReady
from coordination.runner import CommandRunner, Outcome
from domain.actors import Actor
from domain.charter import GROUP_CONVENER, GROUP_NAME, OFFICE_DIRECTOR, OFFICE_UNIT, UNITS
from domain.roster import Group, MemberUnit


class RosterUseCases(CommandRunner):
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
