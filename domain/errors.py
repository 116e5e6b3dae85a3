"""Errors the domain raises, named for what went wrong. Each has a stable code for the API.

Four kinds, which the web layer maps to HTTP in one place:
InvalidValue → 422, ForbiddenTransition → 409, NotPermitted → 403, NotFound → 404.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidValue(DomainError):
    """Input that can never be valid, whatever the state: names the field."""

    code = "invalid_value"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.errors = {field: [message]}


class ForbiddenTransition(DomainError):
    """The action is not allowed in the current state."""

    code = "forbidden_transition"


class NotPermitted(DomainError):
    """The actor's role or unit does not allow this action on this object."""

    code = "not_permitted"


class NotFound(DomainError):
    code = "not_found"


# --- named forbidden transitions -------------------------------------------------------------


class TaskClosed(ForbiddenTransition):
    code = "task_closed"


class NotAwaitingAcknowledgement(ForbiddenTransition):
    code = "not_awaiting_acknowledgement"


class AlreadyAcknowledged(ForbiddenTransition):
    code = "already_acknowledged"


class NotAcknowledged(ForbiddenTransition):
    code = "not_acknowledged"


class NotInProgress(ForbiddenTransition):
    code = "not_in_progress"


class NoCompletionRequested(ForbiddenTransition):
    code = "no_completion_requested"


class ExtensionAlreadyPending(ForbiddenTransition):
    code = "extension_already_pending"


class ExtensionNotPending(ForbiddenTransition):
    code = "extension_not_pending"


class DeadlinePassed(ForbiddenTransition):
    code = "deadline_passed"


class ExtensionNotForward(InvalidValue):
    code = "extension_not_forward"

    def __init__(self, message: str):
        super().__init__("new_deadline", message)


class DissentBlocksAgreement(InvalidValue):
    code = "dissent_blocks_agreement"


class MinutesFrozen(ForbiddenTransition):
    code = "minutes_frozen"


class MeetingNotHeld(ForbiddenTransition):
    code = "meeting_not_held"


class MinutesNotIssued(ForbiddenTransition):
    code = "minutes_not_issued"


class TopicNotOpen(ForbiddenTransition):
    code = "topic_not_open"


class DuplicateMinutesNumber(ForbiddenTransition):
    code = "duplicate_minutes_number"


class AccountDisabled(ForbiddenTransition):
    code = "account_disabled"


class NotLeadUnit(NotPermitted):
    code = "not_lead_unit"


class NotAssignedUnit(NotPermitted):
    code = "not_assigned_unit"


class NotUrged(ForbiddenTransition):
    """催办回复 needs an urging to answer."""

    code = "not_urged"
