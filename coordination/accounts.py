"""Use cases of user accounts (开户, 密码, 停用) and authentication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from coordination import passwords
from coordination.authorization import require_role
from coordination.errors import AlreadyExists, AuthenticationFailed
from coordination.runner import CommandRunner, Outcome
from domain.actors import Actor
from domain.errors import AccountDisabled, NotFound
from domain.users import User


class AccountUseCases(CommandRunner):
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
