"""The ledger application (协调台账): every use case of the write side, one method each, on PostgreSQL.

The use cases live by context in their own modules; this class puts them together as the one
eventsourcing Application a process builds. Reading the log is not a use case: see
`projections.eventlog`.
"""

from __future__ import annotations

from coordination.accounts import AccountUseCases
from coordination.calendar import CalendarUseCases
from coordination.files import FileUseCases
from coordination.meetings import MeetingUseCases
from coordination.notify import NotificationUseCases
from coordination.roster import RosterUseCases
from coordination.supervision import SupervisionUseCases
from coordination.tasks import TaskUseCases
from domain.meetings import Meeting
from domain.tasks import Task


class Ledger(RosterUseCases, AccountUseCases, MeetingUseCases, TaskUseCases, FileUseCases, SupervisionUseCases,
             CalendarUseCases, NotificationUseCases):
    """协调台账: the write side of the coordination ledger."""

    name = "ledger"
    snapshotting_intervals = {Task: 20, Meeting: 20}

    def is_empty(self) -> bool:
        """True when nothing beyond the roster set-up has been recorded (no users, meetings or tasks)."""
        seeded = ("domain.roster:Group", "domain.roster:MemberUnit")
        return all(n.topic.startswith(seeded) for n in self.recorder.select_notifications(start=1, limit=100))
