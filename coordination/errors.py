"""Errors of the application layer (beyond the domain's): conflicts, authentication."""

from __future__ import annotations

from domain.errors import DomainError, ForbiddenTransition, NotPermitted


class ConcurrentChange(ForbiddenTransition):
    """Another change to the same object won each of our bounded retries: try again."""

    code = "concurrent_change"


class IdempotencyConflict(ForbiddenTransition):
    """The Idempotency-Key was used before with a different command."""

    code = "idempotency_key_reused"


class AlreadyExists(ForbiddenTransition):
    code = "already_exists"


class AuthenticationFailed(DomainError):
    code = "authentication_failed"


class StoreNotReady(DomainError):
    """The store has not been initialised (run `coordination init`), or is not empty when it must be."""

    code = "store_not_ready"


class ReportAlreadyIssued(ForbiddenTransition):
    code = "report_already_issued"


class ViewsBehind(DomainError):
    """The read views have not reached the log position a read needs; try again shortly."""

    code = "views_behind"


class StoreUnavailable(DomainError):
    """The database did not answer in time (down, restarting, or unreachable): try again shortly (503)."""

    code = "store_unavailable"


class OutcomeUnknown(StoreUnavailable):
    """A command was sent, but the database went away before it could say whether it was saved."""

    code = "outcome_unknown"


class LogDamaged(DomainError):
    """A stored history cannot be replayed: an event is missing or out of order (run `coordination verify`)."""

    code = "log_damaged"

    def __init__(self, message: str, aggregate_id=None, version: int | None = None):
        super().__init__(message)
        self.aggregate_id = aggregate_id
        self.version = version


class SecondFactorRequired(AuthenticationFailed):
    """The password was right, but this account also needs a TOTP code or a recovery code (401).

    `enrolled` says whether the account has a second factor yet (if not: enrol on the 两步验证 page).
    A login that stops here is not a failure; a wrong code is (coordination.accounts.authenticate).
    """

    code = "second_factor_required"

    def __init__(self, message: str = "second factor needed", *, enrolled: bool = True):
        super().__init__(message)
        self.enrolled = enrolled


class PasswordChangeRequired(NotPermitted):
    """An admin reset this password: the account must change it before anything else (403)."""

    code = "password_change_required"


class FileTooLarge(DomainError):
    """An evidence file above the upload limit (COORDINATION_UPLOAD_LIMIT_MB): 413."""

    code = "file_too_large"
