"""User accounts (用户): one member unit, one or more roles, an argon2 password hash, disabled or not.

The aggregate id derives from the username, so a username can be registered only once.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.actors import ROLES, Actor
from domain.errors import ForbiddenTransition, InvalidValue

USERS_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:users")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class User(Aggregate):
    @staticmethod
    def create_id(username: str) -> UUID:
        return uuid5(USERS_NAMESPACE, username)

    @classmethod
    def register(
        cls, *, username: str, display_name: str, unit: str, roles: list[str], password_hash: str, by: Actor, at: datetime
    ) -> User:
        if not isinstance(username, str) or not USERNAME.match(username):
            raise InvalidValue("username", "2–40 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
        return cls(
            username=username,
            display_name=values.text("display_name", display_name or username, max_length=values.NAME),
            unit=values.unit_code("unit", unit),
            roles=_checked_roles(roles),
            password_hash=password_hash,
            actor=by.stamp(),
            at=at,
        )

    @event("Registered")
    def __init__(
        self, username: str, display_name: str, unit: str, roles: list[str], password_hash: str, actor: dict, at: datetime
    ):
        self.username = username
        self.display_name = display_name
        self.unit = unit
        self.roles = roles
        self.password_hash = password_hash
        self.disabled = False

    def as_actor(self) -> Actor:
        return Actor(username=self.username, unit=self.unit, roles=frozenset(self.roles))

    def change_password(self, *, password_hash: str, by: Actor, at: datetime) -> None:
        self._password_changed(password_hash=password_hash, actor=by.stamp(), at=at)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str, actor: dict, at: datetime) -> None:
        self.password_hash = password_hash

    def change_roles(self, *, unit: str, roles: list[str], by: Actor, at: datetime) -> None:
        self._roles_changed(unit=values.unit_code("unit", unit), roles=_checked_roles(roles), actor=by.stamp(), at=at)

    @event("RolesChanged")
    def _roles_changed(self, unit: str, roles: list[str], actor: dict, at: datetime) -> None:
        self.unit = unit
        self.roles = roles

    def disable(self, *, reason: str, by: Actor, at: datetime) -> None:
        if self.disabled:
            raise ForbiddenTransition(f"{self.username} is already disabled")
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


def _checked_roles(roles: object) -> list[str]:
    if not isinstance(roles, list) or not roles:
        raise InvalidValue("roles", f"at least one of {', '.join(ROLES)}")
    for role in roles:
        if role not in ROLES:
            raise InvalidValue("roles", f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return sorted(set(roles))
