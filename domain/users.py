"""User accounts (用户): one member unit, one or more roles, disabled or not; never a secret.

The aggregate id derives from the username, so a username can be registered only once. Passwords and
second factors live in the credentials table (coordination/credentials.py): the log records only that
a password was set, changed or reset, by whom and why. Logs written before that carry `password_hash`
in `Registered` and `PasswordChanged` (class version 1); the upcasters below drop it on replay, and the
audit log never shows it (projections/eventlog.py SECRET_FIELDS). The log itself is immutable: such old
rows stay as they are.

三员分立 (separation of duties): `admin` is never combined with a domain role in one account.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import ROLES, Actor
from domain.errors import ForbiddenTransition, InvalidValue, NotPermitted

USERS_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:users")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
DOMAIN_ROLES = frozenset({"office", "supervisor", "liaison"})
WATCHED_ROLES = frozenset({"office", "supervisor"})
"""Roles whose every grant and removal supervisors watch (the dashboard flags recent grants)."""


class User(Aggregate):
    class Registered(Aggregate.Created):
        class_version = 2
        username: str
        display_name: str
        unit: str
        roles: list[str]
        actor: dict
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.pop("password_hash", None)  # old logs: the hash stays in the row, never in the domain

    class PasswordChanged(Aggregate.Event):
        class_version = 2
        how: str
        """'changed' by the user, or 'reset' by an admin (the user must change it at the next login)."""
        reason: str
        actor: dict
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.pop("password_hash", None)
            state.setdefault("how", "changed")
            state.setdefault("reason", "")

    class RolesChanged(Aggregate.Event):
        class_version = 2
        unit: str
        roles: list[str]
        granted: list[str]
        removed: list[str]
        reason: str
        actor: dict
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("granted", [])
            state.setdefault("removed", [])
            state.setdefault("reason", "")

    @staticmethod
    def create_id(username: str) -> UUID:
        return uuid5(USERS_NAMESPACE, username)

    @classmethod
    def register(
        cls, *, username: str, display_name: str, unit: str, roles: list[str], by: Actor, at: datetime
    ) -> User:
        if not isinstance(username, str) or not USERNAME.match(username):
            raise InvalidValue("username", "2–40 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
        return cls(
            username=username,
            display_name=values.text("display_name", display_name or username, max_length=values.NAME),
            unit=values.unit_code("unit", unit),
            roles=checked_roles(roles),
            actor=by.stamp(),
            at=at,
        )

    @event(Registered)
    def __init__(self, username: str, display_name: str, unit: str, roles: list[str], actor: dict, at: datetime):
        self.username = username
        self.display_name = display_name
        self.unit = unit
        self.roles = roles
        self.disabled = False

    def as_actor(self) -> Actor:
        return Actor(username=self.username, unit=self.unit, roles=frozenset(self.roles))

    def record_password_change(self, *, how: str, reason: str, by: Actor, at: datetime) -> None:
        """That the password was changed by its user or reset by an admin — never the password or its hash."""
        if how not in ("changed", "reset"):
            raise InvalidValue("how", "changed or reset")
        reason = values.text("reason", reason) if how == "reset" else ""
        self._password_changed(how=how, reason=reason, actor=by.stamp(), at=at)

    @event(PasswordChanged)
    def _password_changed(self, how: str, reason: str, actor: dict, at: datetime) -> None:
        pass

    def change_roles(self, *, unit: str, roles: list[str], reason: str, by: Actor, at: datetime) -> None:
        roles = checked_roles(roles)
        unit = values.unit_code("unit", unit)
        if by.username == self.username and set(roles) != set(self.roles):
            raise NotPermitted("an account cannot change its own roles (三员分立)")
        if unit == self.unit and roles == self.roles:
            return
        granted = sorted(set(roles) - set(self.roles))
        removed = sorted(set(self.roles) - set(roles))
        self._roles_changed(unit=unit, roles=roles, granted=granted, removed=removed,
                            reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event(RolesChanged)
    def _roles_changed(self, unit: str, roles: list[str], granted: list[str], removed: list[str], reason: str,
                       actor: dict, at: datetime) -> None:
        self.unit = unit
        self.roles = roles

    def rename(self, *, display_name: str, reason: str, by: Actor, at: datetime) -> None:
        display_name = values.text("display_name", display_name, max_length=values.NAME)
        if display_name != self.display_name:
            self._renamed(display_name=display_name, reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("Renamed")
    def _renamed(self, display_name: str, reason: str, actor: dict, at: datetime) -> None:
        self.display_name = display_name

    def disable(self, *, reason: str, by: Actor, at: datetime) -> None:
        if self.disabled:
            raise ForbiddenTransition(f"{self.username} is already disabled")
        if by.username == self.username:
            raise NotPermitted("an account cannot disable itself")
        self._disabled(reason=values.text("reason", reason), actor=by.stamp(), at=at)

    @event("Disabled")
    def _disabled(self, reason: str, actor: dict, at: datetime) -> None:
        self.disabled = True

    def enable(self, *, by: Actor, at: datetime) -> None:
        if not self.disabled:
            raise ForbiddenTransition(f"{self.username} is not disabled")
        self._enabled(actor=by.stamp(), at=at)

    @event("Enabled")
    def _enabled(self, actor: dict, at: datetime) -> None:
        self.disabled = False


def checked_roles(roles: object) -> list[str]:
    """Known roles, at least one, and 三员分立: `admin` never with office, supervisor or liaison."""
    if not isinstance(roles, list) or not roles:
        raise InvalidValue("roles", f"at least one of {', '.join(ROLES)}")
    for role in roles:
        if role not in ROLES:
            raise InvalidValue("roles", f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if "admin" in roles and DOMAIN_ROLES & set(roles):
        raise InvalidValue("roles", "三员分立: the admin role is never combined with office, supervisor or liaison")
    return sorted(set(roles))
