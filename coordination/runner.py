"""The command runner: what every use case shares — load, run, save atomically, replay, retry.

Each use case authorises its actor, then hands `_execute` a unit of `work` that runs the domain
commands with the service clock's instant and returns what it changed. `_execute` saves those
aggregates in one atomic `save()` together with the idempotency record when an Idempotency-Key was
given; a save that loses an optimistic-concurrency race is retried from a fresh load a bounded
number of times. Commands return an `Outcome` carrying the log position (notification id) they wrote.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from coordination.clock import Clock, SystemClock
from coordination.config import ConfigurationError
from coordination.errors import ConcurrentChange, IdempotencyConflict
from domain.actors import Actor
from domain.errors import InvalidValue, NotFound
from domain.idempotency import IdempotencyRecord

log = structlog.get_logger(__name__)

A = TypeVar("A", bound=Aggregate)
Work = Callable[[datetime], tuple[dict[str, Any], Sequence[Aggregate]]]
"""A use case's unit of work: given the command's instant, run the domain commands; return the
result and the aggregates to save."""

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.005


class DateAsISO(Transcoding):
    """Calendar dates (deadlines, meeting days) as ISO strings in stored events."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Outcome:
    """What a command returns: its result, the log position it wrote, whether it was a replay."""

    result: dict[str, Any]
    position: int
    replayed: bool = False


class CommandRunner(Application[UUID]):
    """The machinery under every use case of the ledger; PostgreSQL only."""

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock | None = None, allow_memory: bool = False):
        super().__init__(env)
        if not allow_memory and self.factory.__class__.__module__ != "eventsourcing.postgres":
            raise ConfigurationError(
                f"the ledger must store its events in PostgreSQL, not {self.factory.__class__.__module__}; "
                "set DATABASE_URL or leave it unset for the embedded PostgreSQL"
            )
        self.clock: Clock = clock or SystemClock()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _execute(self, actor: Actor, command: str, arguments: dict[str, Any], work: Work,
                 idempotency_key: str | None = None) -> Outcome:
        """Run `work` and save what it changed, atomically with the idempotency record; retry on conflict."""
        fingerprint = fingerprint_of(command, arguments)
        record_id = None
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
                raise InvalidValue("Idempotency-Key", "must be 1–200 characters")
            record_id = IdempotencyRecord.create_id(actor.username, idempotency_key)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if record_id is not None:
                replay = self._replay(record_id, fingerprint)
                if replay is not None:
                    return replay
            at = self.clock.now()
            result, changed = work(at)
            pending: list[Aggregate] = list(changed)
            if record_id is not None:
                pending.append(
                    IdempotencyRecord(
                        username=actor.username,
                        key=idempotency_key,
                        fingerprint=fingerprint,
                        result=result,
                        actor=actor.stamp(),
                        at=at,
                    )
                )
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                log.info("command.conflict_retry", command=command, attempt=attempt)
                # Jittered exponential back-off, so that two steady writers stop colliding.
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
                continue
            position = max(r.notification.id for r in recordings) if recordings else self.position()
            log.info(command, actor=actor.username, unit=actor.unit, position=position)
            return Outcome(result=result, position=position)
        raise ConcurrentChange(f"{command}: another change to the same record won {MAX_ATTEMPTS} times; try again")

    def _replay(self, record_id: UUID, fingerprint: str) -> Outcome | None:
        try:
            record = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return Outcome(result=record.result, position=self.position(), replayed=True)

    def position(self) -> int:
        """The newest log position (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def _load(self, aggregate_id: Any, kind: type[A], what: str) -> A:
        try:
            aggregate = self.repository.get(as_uuid(aggregate_id, what))
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))


def as_uuid(value: Any, what: str, *, field: str | None = None) -> UUID:
    """An id from the outside world: a malformed one is simply not found (or invalid, for a field)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        if field:
            raise InvalidValue(field, f"not a {what} id") from None
        raise NotFound(f"no {what} {value}") from None


def fingerprint_of(command: str, arguments: dict[str, Any]) -> str:
    """What an Idempotency-Key is bound to: the command and its arguments, canonically."""
    canonical = json.dumps({"command": command, "arguments": arguments}, sort_keys=True, default=str,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
