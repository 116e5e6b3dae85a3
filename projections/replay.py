"""Replaying one kind of aggregate inside a view, with the domain's own `mutate`, cached by id.

A view that needs an aggregate's state after each of its events applies the event to the cached
state when the cache holds the version just before it, and otherwise loads that version from the
ledger's repository (snapshots make that cheap). The state is therefore always the domain's.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from projections.eventlog import LoggedEvent

CACHE_SIZE = 10_000


class Replayer:
    def __init__(self, ledger: Application, cache_size: int = CACHE_SIZE):
        self.ledger = ledger
        self.cache: OrderedDict[UUID, Any] = OrderedDict()
        self.cache_size = cache_size

    def state_after(self, event: LoggedEvent) -> Any:
        aggregate = self.cache.pop(event.aggregate_id, None)
        if aggregate is not None and aggregate.version == event.version - 1:
            aggregate = event.event.mutate(aggregate)
        elif event.version == 1:
            aggregate = event.event.mutate(None)
        else:
            aggregate = self.ledger.repository.get(event.aggregate_id, version=event.version)
        self.cache[event.aggregate_id] = aggregate
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return aggregate

    def discard(self) -> None:
        """Forget everything (after a rolled-back batch the cache may be ahead of the tables)."""
        self.cache.clear()
