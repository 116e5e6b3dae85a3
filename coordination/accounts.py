"""Use cases of user accounts (开户, 权限, 停用, 密码, 两步验证) and authentication.

Account changes are events in the log (domain/users.py); secrets are in the credentials table
(coordination/credentials.py) and never in the log. 三员分立: only an admin manages accounts, and an
admin account holds no domain role (domain.users.checked_roles).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from coordination import passwords
from coordination.authorization import require_role
from coordination.credentials import CredentialStore, provisioning_uri
from coordination.errors import AlreadyExists, AuthenticationFailed, PasswordChangeRequired, SecondFactorRequired
from coordination.runner import CommandRunner, Outcome
from domain.actors import Actor
from domain.errors import AccountDisabled, InvalidValue, NotFound, NotPermitted
from domain.users import User

SECOND_FACTOR_ROLES = frozenset({"office", "supervisor", "admin"})
"""Accounts that must sign in with a second factor (unless COORDINATION_REQUIRE_2FA=off)."""


def account(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "unit": user.unit,
            "roles": list(user.roles), "disabled": user.disabled}


class AccountUseCases(CommandRunner):
    @property
    def credentials(self) -> CredentialStore:
        if not hasattr(self, "_credentials"):
            self._credentials = CredentialStore(self.recorder.datastore)
        return self._credentials

    def register_user(self, actor: Actor, *, username: str, password: str, unit: str, roles: list[str],
                      display_name: str = "", idempotency_key: str | None = None) -> Outcome:
        """开户: an admin creates an account for one member unit with one or more roles."""
        require_role(actor, "admin")
        password_hash = passwords.hash_password(password, username=username if isinstance(username, str) else "")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = User.register(username=username, display_name=display_name, unit=unit, roles=roles, by=actor, at=at)
            if self._exists(user.id):
                raise AlreadyExists(f"the username {username} is taken")
            return {"username": username, "unit": unit, "roles": user.roles}, [user]

        arguments = {"username": username, "unit": unit, "roles": roles, "display_name": display_name}
        outcome = self._execute(actor, "user.registered", arguments, work, idempotency_key)
        if not outcome.replayed:
            # After the event: a taken username never overwrites its owner's password. Should this write
            # fail, the account exists without a password and an admin resets it.
            self.credentials.set_password(username, password_hash, must_change=False, at=self.clock.now())
        return outcome

    def user(self, username: str) -> User:
        if not isinstance(username, str):
            raise NotFound("no such user")
        return self._load(User.create_id(username), User, "user")

    def users(self, actor: Actor) -> list[dict[str, Any]]:
        """账户列表 (admin): every account, by username."""
        require_role(actor, "admin")
        found, start = [], 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=500, topics=[f"{User.Registered.__module__}:"
                                                                                     f"{User.Registered.__qualname__}"])
            found.extend(account(self.user_by_id(n.originator_id)) for n in page)
            if len(page) < 500:
                return sorted(found, key=lambda a: a["username"])
            start = page[-1].id + 1

    def user_by_id(self, user_id: Any) -> User:
        return self._load(user_id, User, "user")

    def authenticate(self, username: str, password: str, *, otp: str | None = None, recovery_code: str | None = None,
                     require_second_factor: bool = True) -> Actor:
        """The actor for these credentials; the same error for an unknown user and a wrong password.

        Office, supervisor and admin accounts also need a TOTP code or a recovery code (SecondFactorRequired
        when neither is given; a wrong one is AuthenticationFailed, throttled like a wrong password).
        After an admin's reset the account must change its password first (PasswordChangeRequired).
        """
        try:
            user = self.user(username)
        except NotFound:
            user = None
        found = self.credentials.get(user.username) if user else None
        if not passwords.verify_password(found.password_hash if found else None,
                                         password if isinstance(password, str) else ""):
            raise AuthenticationFailed("wrong username or password")
        assert user is not None and found is not None
        if user.disabled:
            raise AccountDisabled("this account is disabled")
        if require_second_factor and SECOND_FACTOR_ROLES & set(user.roles):
            if not found.has_second_factor:
                raise SecondFactorRequired("second factor needed: enrol an authenticator on the 两步验证 page "
                                           "(/account/2fa) first", enrolled=False)
            if not otp and not recovery_code:
                raise SecondFactorRequired("second factor needed")
            if not self.credentials.check_second_factor(found, otp=otp, recovery_code=recovery_code,
                                                        at=self.clock.now()):
                raise AuthenticationFailed("wrong second factor")
        if found.must_change:
            raise PasswordChangeRequired("the password was reset by an administrator: change it first "
                                         "(修改密码 page, /account/password)")
        return user.as_actor()

    def change_password(self, actor: Actor, username: str, *, password: str, current_password: str | None = None,
                        reason: str | None = None) -> Outcome:
        """修改密码: a user changes their own with the current one; an admin resets another's with a reason."""
        own = actor.username == username
        if own:
            if current_password is None:
                raise InvalidValue("current_password", "needed to change your own password")
            found = self.credentials.get(username)
            if not passwords.verify_password(found.password_hash if found else None, current_password):
                raise InvalidValue("current_password", "is not your current password (当前密码不正确)")
            if passwords.verify_password(found.password_hash, password):
                raise InvalidValue("password", "must differ from the current password (新密码不能与当前密码相同)")
        else:
            require_role(actor, "admin")
            if not reason:
                raise InvalidValue("reason", "an admin's reset needs a reason")
        password_hash = passwords.hash_password(password, username=username)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = self.user(username)
            user.record_password_change(how="changed" if own else "reset", reason=reason or "", by=actor, at=at)
            return {"username": username}, [user]

        outcome = self._execute(actor, "user.password_changed", {"username": username}, work)
        self.credentials.set_password(username, password_hash, must_change=not own, at=self.clock.now())
        return outcome

    def update_user(self, actor: Actor, username: str, *, reason: str, display_name: str | None = None,
                    unit: str | None = None, roles: list[str] | None = None, disabled: bool | None = None) -> Outcome:
        """调整账户 (admin): name, unit, roles (within 三员分立), disabled — one audited event each."""
        require_role(actor, "admin")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = self.user(username)
            if display_name is not None:
                user.rename(display_name=display_name, reason=reason, by=actor, at=at)
            if unit is not None or roles is not None:
                user.change_roles(unit=unit or user.unit, roles=roles if roles is not None else list(user.roles),
                                  reason=reason, by=actor, at=at)
            if disabled is True and not user.disabled:
                user.disable(reason=reason, by=actor, at=at)
            elif disabled is False and user.disabled:
                user.enable(by=actor, at=at)
            return account(user), [user]

        return self._execute(actor, "user.updated", {"username": username, "reason": reason, "display_name": display_name,
                                                     "unit": unit, "roles": roles, "disabled": disabled}, work)

    def disable_user(self, actor: Actor, username: str, *, reason: str) -> Outcome:
        """停用 (admin): refused for an account already disabled."""
        require_role(actor, "admin")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            user = self.user(username)
            user.disable(reason=reason, by=actor, at=at)
            return {"username": username}, [user]

        return self._execute(actor, "user.disabled", {"username": username, "reason": reason}, work)

    def begin_second_factor(self, actor: Actor) -> tuple[str, str]:
        """两步验证 enrolment, step 1: a new TOTP secret and its otpauth:// address (for the QR code)."""
        if self.credentials.get(actor.username) is None:
            raise NotPermitted("this account has no password to add a second factor to")
        secret = self.credentials.begin_totp(actor.username)
        return secret, provisioning_uri(secret, actor.username)

    def confirm_second_factor(self, actor: Actor, code: str) -> list[str]:
        """Step 2: a code from the app confirms the secret; the one-time recovery codes (shown once)."""
        codes = self.credentials.confirm_totp(actor.username, code, self.clock.now())
        if codes is None:
            raise InvalidValue("otp", "the code does not match; scan the QR code again and enter the current code "
                                      "(动态口令不正确)")
        return codes
