"""The command runner: what every use case shares — load, run, save atomically, replay, retry.

Each use case authorises its actor, then hands `_execute` a unit of `work` that runs the domain
commands with the service clock's instant and returns what it changed. `_execute` saves those
aggregates in one atomic `save()` together with the command's entry in the command log
(coordination/recorder.py): exactly once, across conflicts, retries and lost acknowledgements.
Commands return an `Outcome` carrying the log position (notification id) they wrote.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, TypeVar
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.persistence import IntegrityError, InterfaceError, JSONTranscoder, OperationalError, Transcoding

from coordination.clock import Clock, SystemClock
from coordination.config import ConfigurationError
from coordination.errors import ConcurrentChange, IdempotencyConflict, LogDamaged, OutcomeUnknown, StoreUnavailable
from coordination.recorder import CommandEntry
from domain import values
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
    changed: tuple[Aggregate, ...] = ()
    """The aggregates as this command left them (empty for a replay): its answer needs no second load."""


class CommandRunner(Application[UUID]):
    """The machinery under every use case of the ledger; PostgreSQL only."""

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock | None = None):
        super().__init__(env)
        if self.factory.__class__.__module__ != "eventsourcing.postgres":
            raise ConfigurationError(
                f"the ledger must store its events in PostgreSQL, not {self.factory.__class__.__module__}; "
                "set DATABASE_URL or leave it unset for the embedded PostgreSQL"
            )
        self.clock: Clock = clock or SystemClock()
        self._work = threading.local()
        """Per thread, during a unit of work: when each aggregate it loaded was last changed (real time)."""
        get = self.repository.get

        def get_noting_when_changed(*args: Any, **kwargs: Any) -> Any:
            aggregate = get(*args, **kwargs)
            loaded = getattr(self._work, "loaded", None)
            if loaded is not None:
                loaded.append(aggregate.modified_on)
            return aggregate

        self.repository.get = get_noting_when_changed  # type: ignore[method-assign]

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _execute(self, actor: Actor, command: str, arguments: dict[str, Any], work: Work,
                 idempotency_key: str | None = None) -> Outcome:
        """Run `work` and save what it changed atomically with the command's entry in the command log.

        Every command carries an id: the client's Idempotency-Key, or one made here. A save that loses
        an optimistic-concurrency race is retried from a fresh load. A save whose outcome is unknown
        (the connection dropped around COMMIT; a retry ran into rows already there) is resolved by
        looking the command up: found, its first answer is returned and nothing is applied again.
        """
        fingerprint = fingerprint_of(command, arguments)
        if idempotency_key is None:
            key, from_client = f"server:{uuid4().hex}", False
        elif isinstance(idempotency_key, str) and 1 <= len(idempotency_key) <= values.KEY:
            key, from_client = idempotency_key, True
        else:
            raise InvalidValue("Idempotency-Key", f"must be 1–{values.KEY} characters")
        unsaved: Exception | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if from_client or attempt > 1:
                replay = self._replay(actor.username, key, fingerprint, legacy=from_client)
                if replay is not None:
                    return replay
            read_at = datetime.now(timezone.utc)
            at = self.clock.now()
            self._work.loaded = []
            try:
                result, changed = work(at)
            finally:
                loaded, self._work.loaded = self._work.loaded, None
            if any(changed_on > read_at for changed_on in loaded):
                # Another writer changed an aggregate of ours after we read the clock: our instant would
                # come before its last one. Run again with a fresh instant, so instants never go back.
                log.info("command.instant_retry", command=command, attempt=attempt)
                continue
            entry = CommandEntry(username=actor.username, key=key, fingerprint=fingerprint, result=result, at=at)
            try:
                recordings = self.save(*changed, command=entry)
            except IntegrityError:
                log.info("command.conflict_retry", command=command, attempt=attempt)
                # Jittered exponential back-off, so that two steady writers stop colliding.
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
                continue
            except (OperationalError, InterfaceError) as exc:
                log.warning("command.outcome_unknown", command=command, error=str(exc)[:200])
                try:
                    replay = self._replay(actor.username, key, fingerprint, legacy=False)
                except (OperationalError, InterfaceError):
                    raise OutcomeUnknown(
                        "the database went away while this change was being saved; whether it was recorded is "
                        "not known. Repeat it with the same Idempotency-Key: it will be recorded once") from exc
                if replay is not None:
                    return replay
                unsaved = exc  # not committed: safe to run again
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
                continue
            position = max(r.notification.id for r in recordings) if recordings else self.position()
            log.info(command, actor=actor.username, unit=actor.unit, position=position)
            return Outcome(result=result, position=position, changed=tuple(changed))
        if unsaved is not None:
            raise StoreUnavailable("the database did not take this change, and nothing was recorded; try again "
                                   "shortly") from unsaved
        raise ConcurrentChange(f"{command}: another change to the same record won {MAX_ATTEMPTS} times; try again")

    def _replay(self, username: str, key: str, fingerprint: str, *, legacy: bool) -> Outcome | None:
        """The first answer to this command, if it was recorded (command log; before it, an aggregate)."""
        if legacy:
            found, recorded = self.recorder.find_command_or_record(username, key, IdempotencyRecord.create_id(username, key))
            if found is None and recorded:
                record = self.repository.get(IdempotencyRecord.create_id(username, key))
                found = (record.fingerprint, record.result)
        else:
            found = self.recorder.find_command(username, key)
        if found is None:
            return None
        if found[0] != fingerprint:
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return Outcome(result=found[1], position=self.position(), replayed=True)

    def position(self) -> int:
        """The newest log position (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def _load(self, aggregate_id: Any, kind: type[A], what: str) -> A:
        try:
            aggregate = self._replayed(as_uuid(aggregate_id, what), what)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _replayed(self, aggregate_id: UUID, what: str, version: int | None = None) -> Any:
        """The aggregate from its stored events; a gap or disorder in them is a damaged log, not a bug."""
        try:
            return self.repository.get(aggregate_id, version=version)
        except OriginatorVersionError as exc:
            found, expected = (exc.args + (None, None))[:2]
            raise LogDamaged(f"the stored history of {what} {aggregate_id} is damaged: version {expected} is missing "
                             f"or out of order (found version {found}); run `coordination verify`",
                             aggregate_id, expected) from None

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
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()  # any text hashes
