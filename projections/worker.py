"""The projection worker: catch up every view, then follow LISTEN/NOTIFY — and poll as well.

A dropped LISTEN connection would otherwise stall the views silently (eventsourcing issue #305), so
the worker wakes at least every `poll_seconds` whatever happens to the listener, and reconnects it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import psycopg
import structlog
from psycopg import sql

from eventsourcing.application import Application

from projections.audit import AuditIndex
from projections.registers import Registers
from projections.task_history import TaskHistory
from projections.eventlog import EventLog
from projections.tracking import View, catch_up, position_of

log = structlog.get_logger(__name__)
CONNECT_TIMEOUT_SECONDS = 5


def connect(url: str, *, schema: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    """A connection of the worker's own; failing to connect raises psycopg's error, which the loop retries."""
    options = {"options": f"-c search_path={schema}"} if schema else {}
    return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_SECONDS, **options)


def all_views(ledger: Application) -> list[View]:
    """Every view the worker maintains, by name."""
    return [AuditIndex(), TaskHistory(ledger), Registers(ledger)]


class ProjectionWorker:
    def __init__(self, ledger: Application, url: str, schema: str | None, views: Sequence[View] | None = None,
                 poll_seconds: float = 2.0, batch_size: int = 500):
        self.ledger = ledger
        self.url = url
        self.schema = schema
        self.views = list(views) if views is not None else all_views(ledger)
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.listener: psycopg.Connection | None = None

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: catch up, then wait for a notification or the poll interval.

        Any database error is logged and retried after the poll interval on a fresh connection, so a
        restarted server or a killed backend never stops the worker for good.
        """
        conn: psycopg.Connection | None = None
        while not stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = connect(self.url, schema=self.schema, autocommit=True)
                self.catch_up_all(conn)
            except psycopg.Error as exc:
                log.error("projection.failed", error=str(exc))
                if conn is not None:
                    conn.close()
                conn = None
                stop.wait(self.poll_seconds)
                continue
            self.wait(stop)
        if conn is not None:
            conn.close()
        self.close_listener()

    def catch_up_all(self, conn: psycopg.Connection) -> int:
        total = 0
        head = EventLog(self.ledger).position()
        for view in self.views:
            applied = catch_up(self.ledger, conn, view, batch_size=self.batch_size)
            total += applied
            if applied:
                position = position_of(conn, view.name)
                log.info("projection.caught_up", view=view.name, applied=applied, position=position,
                         lag=max(head - position, 0))
        return total

    def wait(self, stop: threading.Event) -> None:
        try:
            if self.listener is None:
                self.listener = connect(self.url, autocommit=True)
                self.listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.ledger.recorder.channel_name)))
            for _ in self.listener.notifies(timeout=self.poll_seconds, stop_after=1):
                pass
        except psycopg.Error as exc:
            log.warning("projection.listen_lost", error=str(exc))
            self.close_listener()
            stop.wait(self.poll_seconds)

    def close_listener(self) -> None:
        if self.listener is not None:
            try:
                self.listener.close()
            except psycopg.Error:
                pass
            self.listener = None


def rebuild(ledger: Application, url: str, schema: str | None, view: View, *, batch_size: int = 500,
            progress: Callable[[int], None] | None = None) -> int:
    """Empty the view's tables, forget its position, and apply the whole log again."""
    discard = getattr(view, "discard", None)
    if discard is not None:
        discard()
    with connect(url, schema=schema, autocommit=True) as conn:
        with conn.transaction():
            for table in view.tables:
                conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
            conn.execute("DELETE FROM projection_tracking WHERE name = %s", (view.name,))
        return catch_up(ledger, conn, view, batch_size=batch_size, progress=progress)
