"""A task's standing at an instant (督办状态): statuses, overdue, days overdue, the light (红黄绿灯).

Derived, never stored: built from a Task, or from a row of the task-history view, so the write and
read sides judge alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.deadlines import FEEDBACK_MONTHS, YELLOW_WORKING_DAYS, add_months, deadline_end, local_date, working_days_left

ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
COMPLETION_REQUESTED = "completion_requested"
COMPLETED = "completed"
CANCELLED = "cancelled"
STATUSES = (ASSIGNED, IN_PROGRESS, COMPLETION_REQUESTED, COMPLETED, CANCELLED)
OPEN_STATUSES = (ASSIGNED, IN_PROGRESS, COMPLETION_REQUESTED)


@dataclass(frozen=True)
class Standing:
    """What a task's state means at an instant — overdue, days overdue, the light. Derived, never stored.

    Built from a Task, or from a row of the task-history view, so the write and read sides agree.
    """

    status: str
    effective_deadline: date
    feedback_every: str | None
    feedback_since: datetime
    """The last progress report or acknowledgement by the lead unit (the assignment before either)."""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        """Open and past the end of its effective deadline date (Asia/Shanghai)."""
        return self.is_open and now >= deadline_end(self.effective_deadline)

    def overdue_days(self, now: datetime) -> int:
        """Calendar days from the effective deadline date to the date of `now` in Asia/Shanghai."""
        if not self.is_overdue(now):
            return 0
        return (local_date(now) - self.effective_deadline).days

    def feedback_missed(self, now: datetime) -> bool:
        """The cadence (1, 3 or 6 months) has passed since the last progress report or acknowledgement."""
        if not self.is_open or self.feedback_every is None:
            return False
        return now > add_months(self.feedback_since, FEEDBACK_MONTHS[self.feedback_every])

    def light(self, now: datetime) -> str | None:
        """红黄绿灯: red overdue; yellow ≤ 3 working days left or a missed feedback cycle; else green."""
        if not self.is_open:
            return None
        if self.is_overdue(now):
            return "red"
        if working_days_left(local_date(now), self.effective_deadline,
                             stop_after=YELLOW_WORKING_DAYS) <= YELLOW_WORKING_DAYS:
            return "yellow"
        if self.feedback_missed(now):
            return "yellow"
        return "green"

