"""A task's standing at an instant (督办状态): statuses, overdue, days overdue, the light (红黄绿灯).

Derived, never stored: built from a Task, or from a row of the task-history view, so the write and
read sides judge alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.deadlines import FEEDBACK_MONTHS, YELLOW_WORKING_DAYS, add_months, deadline_end, local_date, working_days_left

URGING_LEVELS = {1: "urged", 2: "second_urging", 3: "interview_or_notice"}
"""催办 escalates: the second urging is 二次催办, the third and later make the task a 约谈/通报 candidate."""
URGING_LABELS = {"urged": "催办", "second_urging": "二次催办", "interview_or_notice": "约谈/通报候选"}
MILESTONE_MISSED = "阶段目标未达成"


def urging_level(urgings: int) -> str | None:
    """The escalation a task's urgings have reached (None when never urged)."""
    return URGING_LEVELS[min(urgings, 3)] if urgings > 0 else None


def _due(milestone: dict[str, Any]) -> date:
    due = milestone["due"]
    return due if isinstance(due, date) else date.fromisoformat(due)

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
    percent: int = 0
    """The lead unit's last reported percent."""
    milestones: tuple[dict[str, Any], ...] = ()
    """阶段目标: {due, target_percent, description}, in order of date (due a date or an ISO string)."""

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

    def days_left(self, now: datetime) -> int | None:
        """Calendar days from the date of `now` (Asia/Shanghai) to the effective deadline (0 on the day itself);
        None once the task is closed or overdue."""
        if not self.is_open or self.is_overdue(now):
            return None
        return (self.effective_deadline - local_date(now)).days

    def feedback_missed(self, now: datetime) -> bool:
        """The cadence (1, 3 or 6 months) has passed since the last progress report or acknowledgement."""
        if not self.is_open or self.feedback_every is None:
            return False
        return now > add_months(self.feedback_since, FEEDBACK_MONTHS[self.feedback_every])

    def missed_milestones(self, now: datetime) -> list[dict[str, Any]]:
        """阶段目标未达成: milestones whose date has passed while the percent is still below their target."""
        if not self.is_open:
            return []
        return [m for m in self.milestones
                if now >= deadline_end(_due(m)) and self.percent < m["target_percent"]]

    def next_milestone(self, now: datetime) -> dict[str, Any] | None:
        """The first milestone whose date has not passed yet."""
        return next((m for m in self.milestones if now < deadline_end(_due(m))), None)

    def light(self, now: datetime, working_day: Callable[[date], bool] | None = None) -> str | None:
        """红黄绿灯: red overdue; yellow ≤ 3 working days left, a missed feedback cycle or a missed milestone.

        `working_day` is the calendar as known at `now` (domain/calendar.py); default the library's.
        """
        if not self.is_open:
            return None
        if self.is_overdue(now):
            return "red"
        if working_days_left(local_date(now), self.effective_deadline, stop_after=YELLOW_WORKING_DAYS,
                             working_day=working_day) <= YELLOW_WORKING_DAYS:
            return "yellow"
        if self.feedback_missed(now) or self.missed_milestones(now):
            return "yellow"
        return "green"

