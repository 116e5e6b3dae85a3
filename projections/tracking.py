"""Applying the event log to a view exactly once: each batch commits with its tracking position.

A view is a class with a `name`, its `tables` and an `apply_batch(conn, events)` method that writes
rows with the given connection (and, optionally, `carry_over(conn, fresh_schema, live_schema)`: what a
rebuild keeps of the live tables because the log does not say it). `catch_up` locks the view's tracking row, applies every event after the recorded
position in log order and advances the position in the same transaction — so a crash loses nothing,
a restart resumes where the last commit stopped, and no position is ever applied twice, even with
two workers running.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

import psycopg
from eventsourcing.domain import OriginatorVersionError

from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError

from projections.eventlog import EventLog, LoggedEvent
from projections.storable import storable, storable_text

BATCH = 500
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.QueryCanceled,
               StoreOperationalError, StoreInterfaceError)
"""The database is absent, went away or timed out: not the log's fault, and not the view's."""


class View(Protocol):
    name: str
    tables: tuple[str, ...]
    topics: tuple[str, ...] | None
    """The topics of the events the view needs (None: every event); PostgreSQL skips the others."""

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        """Write what these events (consecutive, in log order) change; every event must be handled."""


def catch_up(ledger: Application, conn: psycopg.Connection, view: View, *, limit: int | None = None,
             batch_size: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Apply the events after the view's position, one committed batch at a time.

    Returns how far the view advanced along the log, in positions: the events it applied and, for a view
    that names its topics, those it passed over. `limit` bounds the events applied. `conn` must be in
    autocommit mode, so that each batch's `transaction()` is a real, committed transaction rather than a
    savepoint inside an implicit one.
    """
    if not conn.autocommit:
        raise ValueError("catch_up needs an autocommit connection")
    applied = advanced = 0
    suspect = False
    while limit is None or applied < limit:
        batch = batch_size if limit is None else min(batch_size, limit - applied)
        if suspect:
            batch = 1  # after a failed batch, go event by event to name the position that fails
        try:
            events, moved, done = _apply_batch(ledger, conn, view, batch)
        except BaseException as exc:
            discard = getattr(view, "discard", None)
            if discard is not None:
                discard()
            if isinstance(exc, ViewStalled) and exc.position is None and not suspect:
                suspect = True
                continue
            raise
        applied += len(events)
        advanced += moved
        if progress is not None and moved:
            progress(moved)
        if done:
            break
    return advanced


def _apply_batch(ledger: Application, conn: psycopg.Connection, view: View,
                 batch: int) -> tuple[list[LoggedEvent], int, bool]:
    """One transaction: lock the view's position, apply the next events, advance the position.

    Returns the events applied, how many positions the view advanced, and whether it reached the log's head.
    """
    topics = getattr(view, "topics", None)
    with conn.transaction():
        conn.execute("INSERT INTO projection_tracking (name) VALUES (%s) ON CONFLICT DO NOTHING", (view.name,))
        (position,) = conn.execute(
            "SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", (view.name,)
        ).fetchone()
        try:
            if topics is None:
                events = EventLog(ledger).read(after=position, limit=batch)
                reached = events[-1].position if events else position
            else:
                events, reached = EventLog(ledger).read_topics(position, batch, topics)
            if events:
                view.apply_batch(conn, events)
        except UNREACHABLE:
            raise  # the database, not the log: the worker reconnects and retries
        except Exception as exc:
            failing = None
            if batch == 1:
                found = ledger.recorder.select_notifications(start=position + 1, limit=1, topics=list(topics or ()))
                failing = found[0].id if found else None
            raise ViewStalled(view.name, position, failing, exc) from exc
        if reached > position:
            conn.execute(
                "UPDATE projection_tracking SET position = %s, updated_at = now() WHERE name = %s",
                (reached, view.name),
            )
    return events, max(reached - position, 0), len(events) < batch


class ViewStalled(Exception):
    """A view cannot apply the log after its position: a stored event is damaged, missing or undecodable.

    Names the log position (the first event after the view's position, when the batch was one event)
    so that an operator can compare it with `coordination verify`.
    """

    def __init__(self, view: str, after: int, position: int | None, cause: Exception):
        self.view = view
        self.after = after
        self.position = position
        where = f"log position {position}" if position is not None else f"the events after log position {after}"
        if isinstance(cause, OriginatorVersionError) and len(cause.args) == 2:
            reason = (f"the event there is version {cause.args[0]} of its aggregate, but version {cause.args[1]} "
                      "was expected: an earlier event is missing or out of order")
        else:
            reason = f"{type(cause).__name__}: {cause}"
        super().__init__(f"view {view} cannot apply {where}: {reason}; run `coordination verify`")


def position_of(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT position FROM projection_tracking WHERE name = %s", (name,)).fetchone()
    return row[0] if row else 0


def to_json(data: dict[str, Any]) -> str:
    """Event data as JSON: ids as strings, instants and dates in ISO 8601; always storable in jsonb."""
    text = json.dumps(data, ensure_ascii=False, default=_json_default, sort_keys=True)
    if "\\u0000" in text or storable_text(text) is not text:
        # Written before today's text rule: NUL and lone surrogates become U+FFFD (projections/storable.py).
        text = json.dumps(storable(data), ensure_ascii=False, default=_json_default, sort_keys=True)
    return text


def plain(value: Any) -> Any:
    """A value with ids, instants and dates turned into JSON's own types (for jsonb columns)."""
    return json.loads(to_json({"v": value}))["v"]


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a view")


REPORT_VIEWS = ("audit", "task_history")
ALL_VIEWS = ("audit", "task_history", "registers", "calendar", "notifications")


def common_position(conn: psycopg.Connection, names: tuple[str, ...] = REPORT_VIEWS) -> int:
    """The log position every one of the named views has reached (one statement, however many views)."""
    found = dict(conn.execute("SELECT name, position FROM projection_tracking WHERE name = ANY(%s)",
                              (list(names),)).fetchall())
    return min(found.get(name, 0) for name in names)


def wait_for(conn: psycopg.Connection, position: int, *, names: tuple[str, ...] = REPORT_VIEWS,
             timeout: float = 5.0) -> bool:
    """Read your writes: wait (bounded) until the named views have reached `position`."""
    import time

    deadline = time.monotonic() + timeout
    while common_position(conn, names) < position:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
