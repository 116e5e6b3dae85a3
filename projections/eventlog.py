"""Reading an eventsourcing application's log in the domain's words — the read side's only door to it.

Works over any `eventsourcing` Application: positions come from its recorder, events from its mapper.
Secrets (password hashes) never leave here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.errors import InvalidValue

SECRET_FIELDS = frozenset({"password_hash"})
"""Event fields never shown outside the write side (the audit log, history)."""
MAX_PAGE = 1000


@dataclass(frozen=True)
class LoggedEvent:
    """One event of the log, in the domain's words (e.g. `Task.Acknowledged`)."""

    position: int | None
    """The log position (notification id); None where read from the aggregate's own stream."""
    type: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    actor: dict[str, str]
    at: datetime
    data: dict[str, Any]
    event: Any = field(default=None, compare=False, repr=False)
    """The domain event itself, for views that replay the domain's own state changes."""


class EventLog:
    """The log of one application: pages by position, or one aggregate's stream."""

    def __init__(self, app: Application):
        self.app = app

    def position(self) -> int:
        """The newest log position (0 for an empty log)."""
        return self.app.recorder.max_notification_id() or 0

    def read(self, after: int = 0, limit: int = MAX_PAGE) -> list[LoggedEvent]:
        """Events after log position `after`, oldest first; secrets left out."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidValue("limit", f"must be from 1 to {MAX_PAGE}")
        notifications = self.app.recorder.select_notifications(start=after + 1, limit=limit)
        return [logged(self.app.mapper.to_domain_event(n), n.id) for n in notifications]

    def read_topics(self, after: int, limit: int, topics: Sequence[str]) -> tuple[list[LoggedEvent], int]:
        """The next `limit` events after `after` whose topic is one of `topics`, and the log position read up to.

        PostgreSQL skips the other events, so a view that needs a few kinds of event decodes only those. The
        position read up to is the last event returned when the page is full, else the log's head as it was
        before the read: events take their positions under the events table's lock and commit holding it,
        so no event at or below that head can appear later.
        """
        head = self.position()
        notifications = self.app.recorder.select_notifications(start=after + 1, limit=limit, stop=head,
                                                               topics=list(topics))
        events = [logged(self.app.mapper.to_domain_event(n), n.id) for n in notifications]
        reached = events[-1].position if len(events) == limit else max(head, after)
        return events, reached

    def iter(self, after: int = 0, batch: int = MAX_PAGE) -> Iterator[LoggedEvent]:
        """Every event after `after`, page by page."""
        while True:
            page = self.read(after, batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1].position

    def history(self, aggregate_id: UUID | str) -> list[LoggedEvent]:
        """Every event of one aggregate, oldest first."""
        return [logged(e, None) for e in self.app.events.get(UUID(str(aggregate_id)))]


def topics_of(*aggregates: type[Aggregate]) -> tuple[str, ...]:
    """The stored topic of every event class of these aggregates (a view that needs only their events)."""
    return tuple(sorted(get_topic(value) for aggregate in aggregates for value in vars(aggregate).values()
                        if isinstance(value, type) and issubclass(value, aggregate.Event)))


def logged(domain_event: Any, position: int | None) -> LoggedEvent:
    state = {k: v for k, v in domain_event.__dict__.items()
             if k not in {"originator_id", "originator_version", "timestamp", "originator_topic"}}
    actor = state.pop("actor", {})
    at = state.pop("at", domain_event.timestamp)
    qualname = type(domain_event).__qualname__
    return LoggedEvent(
        position=position,
        type=qualname,
        aggregate_type=qualname.split(".")[0],
        aggregate_id=domain_event.originator_id,
        version=domain_event.originator_version,
        actor=actor,
        at=at,
        data={k: v for k, v in state.items() if k not in SECRET_FIELDS},
        event=domain_event,
    )
