"""The projection worker: catch up every view, then follow LISTEN/NOTIFY — and poll as well.

A dropped LISTEN connection would otherwise stall the views silently (eventsourcing issue #305), so
the worker wakes at least every `poll_seconds` whatever happens to the listener, and reconnects it.
It never exits on a database error: it reconnects with back-off for as long as it takes. A view that
fails on an event stops loudly (`tracking.ViewStalled`) — the worker logs and records the view, the
event's position and the error (`/readyz` shows them), retries it with back-off, and keeps the other
views going.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import structlog
from eventsourcing.application import Application
from psycopg import sql

from projections.audit import AuditIndex
from projections.calendar import CalendarVersions
from projections.chain import HashChain
from projections.eventlog import EventLog
from projections.notifications import DeadlineCheck, Notifications
from projections.registers import Registers
from projections.task_history import TaskHistory
from projections.tracking import View, ViewStalled, catch_up, position_of

log = structlog.get_logger(__name__)
CONNECT_TIMEOUT_SECONDS = 5
MAX_BACKOFF_SECONDS = 30.0


def connect(url: str, *, schema: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    """A connection of the worker's own; failing to connect raises psycopg's error, which the loop retries."""
    options = {"options": f"-c search_path={schema}"} if schema else {}
    return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_SECONDS, **options)


def all_views(ledger: Application) -> list[View]:
    """Every view the worker maintains, by name."""
    return [AuditIndex(), TaskHistory(ledger), Registers(ledger), CalendarVersions(), Notifications(ledger)]


class ProjectionWorker:
    def __init__(self, ledger: Application, url: str, schema: str | None, views: Sequence[View] | None = None,
                 poll_seconds: float = 2.0, batch_size: int = 500, chain: HashChain | None = None,
                 checkpointer: Any = None, hooks: Sequence[Any] | None = None):
        self.ledger = ledger
        self.hooks = list(hooks) if hooks is not None else [DeadlineCheck(getattr(ledger, "clock", None))]
        """Scheduled work after each catch-up, anything with `run_due(conn)`: the deadline checks, delivery."""
        self.chain = chain or HashChain()
        self.checkpointer = checkpointer
        """Anything with `checkpoint_if_due(conn)` (coordination.signing.Checkpointer); None: no checkpoints."""
        self.url = url
        self.schema = schema
        self.views = list(views) if views is not None else all_views(ledger)
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.listener: psycopg.Connection | None = None
        self.retry_at: dict[str, float] = {}
        """Failed views and when to try them again (monotonic seconds)."""
        self.backoff: dict[str, float] = {}

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: catch up, then wait for a notification or the poll interval.

        Any failure to reach the database (connection refused, server restarting, killed backend, pool
        timeout) is logged and retried on a fresh connection with back-off: the worker never exits on it.
        """
        conn: psycopg.Connection | None = None
        delay = self.poll_seconds
        while not stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = connect(self.url, schema=self.schema, autocommit=True)
                self.catch_up_all(conn)
                delay = self.poll_seconds
            except Exception as exc:  # the database is unreachable or went away: reconnect, never exit
                log.error("projection.database_unreachable", error=f"{type(exc).__name__}: {exc}"[:500],
                          retry_in=round(delay, 1))
                _close(conn)
                conn = None
                stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            self.wait(stop)
        _close(conn)
        self.close_listener()

    def catch_up_all(self, conn: psycopg.Connection) -> int:
        total = 0
        head = EventLog(self.ledger).position()
        # The chain first: it reads raw rows, so a damaged event never stops it, and the sooner a row is
        # chained the shorter the window in which it can be changed unseen.
        positions = dict(conn.execute("SELECT name, position FROM projection_tracking").fetchall())
        if positions.get(self.chain.name, -1) < head:
            self.chain.catch_up(conn, batch_size=self.batch_size)
        for view in self.views:
            if self.retry_at.get(view.name, 0) > time.monotonic():
                continue
            if positions.get(view.name, -1) >= head and view.name not in self.retry_at:
                continue  # at the head already: no transaction, no lock
            try:
                applied = catch_up(self.ledger, conn, view, batch_size=self.batch_size)
            except ViewStalled as stalled:
                self.stopped(conn, stalled)
                continue
            if view.name in self.retry_at:
                self.recovered(conn, view.name)
            total += applied
            if applied:
                position = position_of(conn, view.name)
                log.info("projection.caught_up", view=view.name, applied=applied, position=position,
                         lag=max(head - position, 0))
        if self.checkpointer is not None:
            try:
                self.checkpointer.checkpoint_if_due(conn)
            except (OSError, ValueError) as exc:  # e.g. an unreadable key file: the views go on regardless
                log.error("ledger.checkpoint_failed", error=str(exc))
        for hook in self.hooks:
            try:
                hook.run_due(conn)
            except psycopg.errors.UndefinedTable as exc:  # a store not migrated yet: the views go on
                log.error("worker.hook_failed", hook=type(hook).__name__, error=str(exc)[:300])
        return total

    def stopped(self, conn: psycopg.Connection, stalled: ViewStalled) -> None:
        """A view cannot apply an event: say which and where, retry it later, let the others go on."""
        conn.execute("INSERT INTO projection_tracking (name) VALUES (%s) ON CONFLICT DO NOTHING", (stalled.view,))
        conn.execute("UPDATE projection_tracking SET error = %s, error_position = %s, error_at = now() WHERE name = %s",
                     (str(stalled)[:1000], stalled.position, stalled.view))
        delay = min(self.backoff.get(stalled.view, self.poll_seconds) * 2, MAX_BACKOFF_SECONDS)
        self.backoff[stalled.view] = delay
        self.retry_at[stalled.view] = time.monotonic() + delay
        log.error("projection.view_stopped", view=stalled.view, position=stalled.position, error=str(stalled)[:1000],
                  retry_in=round(delay, 1))

    def recovered(self, conn: psycopg.Connection, name: str) -> None:
        self.retry_at.pop(name, None)
        self.backoff.pop(name, None)
        conn.execute("UPDATE projection_tracking SET error = NULL, error_position = NULL, error_at = NULL"
                     " WHERE name = %s", (name,))
        log.info("projection.view_resumed", view=name)

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
        _close(self.listener)
        self.listener = None


def _close(conn: psycopg.Connection | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except psycopg.Error:
            pass


def rebuild(ledger: Application, url: str, schema: str | None, view: View, *, batch_size: int = 1000,
            progress: Callable[[int], None] | None = None) -> int:
    """Apply the whole log to fresh copies of the view's tables, then swap them in in one transaction.

    Until the swap the old tables keep serving; a rebuild that fails leaves them as they were. The
    swap locks the view's tracking row (so a running worker's batch waits), applies what arrived
    meanwhile, and replaces each table, keeping the names of its indexes.
    """
    discard = getattr(view, "discard", None)
    if discard is not None:
        discard()
    with connect(url, schema=schema, autocommit=True) as conn:
        main = conn.execute("SELECT current_schema()").fetchone()[0]
        scratch = f"rebuild_{view.name}_{main}"[:63]
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        try:
            for table in (*view.tables, "projection_tracking"):
                conn.execute(sql.SQL("CREATE TABLE {}.{} (LIKE {}.{} INCLUDING ALL)").format(
                    sql.Identifier(scratch), sql.Identifier(table), sql.Identifier(main), sql.Identifier(table)))
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                 options=f"-c search_path={scratch},{main}") as fresh:
                applied = catch_up(ledger, fresh, view, batch_size=batch_size, progress=progress)
                with fresh.transaction():
                    fresh.execute(sql.SQL("INSERT INTO {}.projection_tracking (name) VALUES (%s) ON CONFLICT DO NOTHING")
                                  .format(sql.Identifier(main)), (view.name,))
                    fresh.execute(sql.SQL("SELECT 1 FROM {}.projection_tracking WHERE name = %s FOR UPDATE")
                                  .format(sql.Identifier(main)), (view.name,))
                    applied += catch_up(ledger, fresh, view, batch_size=batch_size, progress=progress)
                    carry_over = getattr(view, "carry_over", None)
                    if carry_over is not None:  # what the view keeps that the log does not say
                        carry_over(fresh, scratch, main)
                    for table in view.tables:
                        _swap_table(fresh, scratch, main, table)
                    fresh.execute(sql.SQL("UPDATE {}.projection_tracking SET position = %s, updated_at = now(),"
                                          " error = NULL, error_position = NULL, error_at = NULL WHERE name = %s")
                                  .format(sql.Identifier(main)), (position_of(fresh, view.name), view.name))
        except BaseException:
            if discard is not None:
                discard()
            raise
        finally:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
    return applied


def _swap_table(conn: psycopg.Connection, scratch: str, main: str, table: str) -> None:
    """Replace main.table by scratch.table, giving the new table's indexes the old ones' names."""
    def indexes(schema: str) -> dict[str, str]:
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                            (schema, table)).fetchall()
        return {(definition.startswith("CREATE UNIQUE"), definition.split(" USING ", 1)[1]): name
                for name, definition in rows}

    old, new = indexes(main), indexes(scratch)
    conn.execute(sql.SQL("DROP TABLE {}.{}").format(sql.Identifier(main), sql.Identifier(table)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
        sql.Identifier(scratch), sql.Identifier(table), sql.Identifier(main)))
    for shape, name in new.items():
        if shape in old and old[shape] != name:
            conn.execute(sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
                sql.Identifier(main), sql.Identifier(name), sql.Identifier(old[shape])))
