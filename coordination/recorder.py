"""The library's PostgreSQL recorder, plus the command log written in the same transaction as the events.

`Ledger.save(..., command=entry)` reaches `_insert_events` here (the library passes save's keyword
arguments down), which inserts the command's row before the events, inside the library's own
transaction: both are committed, or neither. A second insert of the same command (a retry after a lost
acknowledgement) violates the key and rolls back with everything else.

The fault hook COORDINATION_FAULT_LOST_ACK_EVERY=N (for `make faults` only) makes every Nth command
lose its acknowledgement: the commit succeeds, then the save fails as if the connection had dropped,
and the library-style retry runs into the committed row — the path that once recorded commands twice.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import sql
from psycopg.pq import TransactionStatus

FAULT_VARIABLE = "COORDINATION_FAULT_LOST_ACK_EVERY"


@dataclass(frozen=True)
class CommandEntry:
    username: str
    key: str
    fingerprint: str
    result: dict[str, Any]
    at: datetime


@dataclass
class Reader:
    """Whose next reads must wait for the commands saved in this context: an API token (its SHA-256).

    Set by the web layer for the request it serves (`READER`); a command saved meanwhile advances the
    token's `last_position` in its own transaction — read-your-writes without a round trip of its own —
    and notes here the position it wrote.
    """

    token_sha256: str
    written: int = 0


READER: ContextVar[Reader | None] = ContextVar("coordination_reader", default=None)


class CommandLogRecorder(PostgresApplicationRecorder):
    """Events and their command's entry, atomically."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.command_log = sql.Identifier(self.datastore.schema, "command_log")
        self.api_tokens = sql.Identifier(self.datastore.schema, "api_tokens")
        self.events_table = sql.Identifier(self.datastore.schema, self.events_table_name)
        every = int(os.environ.get(FAULT_VARIABLE) or 0)
        self._lose_ack = (lambda n=itertools.count(1): next(n) % every == 0) if every > 0 else None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = self._write(stored_events, **kwargs)
        reader = READER.get()
        if reader is not None and kwargs.get("command") is not None and ids:
            reader.written = max(reader.written, max(ids))
        if self._lose_ack is not None and kwargs.get("command") is not None and self._lose_ack():
            # Injected: committed, but the answer was lost; the library's retry then inserts again and runs
            # into rows already there (IntegrityError) — the path that once recorded commands twice.
            self._write(stored_events, **kwargs)
            raise OperationalError("injected fault: the retry after a lost acknowledgement went through")
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's insert_events
    def _write(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's transaction — command log, table lock, NOTIFY, events — sent as one pipeline.

        BEGIN … COMMIT travel together and the server answers once: one round trip instead of five, and the
        events table's lock is held only while the server works, never while this process waits for its turn
        on a busy CPU. A failing statement makes the server skip the rest up to the pipeline's end (COMMIT
        too); the open transaction is then rolled back here and the error raised, as the library would.
        """
        if not stored_events or self.datastore.enable_db_functions:
            return super().insert_events(stored_events, **kwargs)
        with self.datastore.get_connection() as conn:
            try:
                with conn.cursor() as control, conn.cursor() as inserting:
                    with conn.pipeline():
                        control.execute("BEGIN")
                        self._insert_events(control, stored_events, **kwargs)
                        self._insert_stored_events(inserting, stored_events, **kwargs)
                        control.execute("COMMIT")
                    return [row["notification_id"] for row in inserting.fetchall()]
            except psycopg.Error:
                if conn.pgconn.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                    conn.execute("ROLLBACK")
                raise

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        entry: CommandEntry | None = kwargs.get("command")
        if entry is not None:
            curs.execute(
                sql.SQL("INSERT INTO {} (username, key, fingerprint, result, at) VALUES (%s, %s, %s, %s, %s)")
                .format(self.command_log),
                (entry.username, entry.key, entry.fingerprint, json.dumps(entry.result, ensure_ascii=False,
                                                                           default=str), entry.at),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        reader = READER.get()
        if reader is not None and kwargs.get("command") is not None:
            # Under the events table's lock the newest id is this save's own: the token's holder reads after it.
            with curs.connection.cursor() as other:
                other.execute(sql.SQL("UPDATE {} SET last_position = greatest(last_position, (SELECT max(notification_id)"
                                      " FROM {})) WHERE token_sha256 = %s").format(self.api_tokens, self.events_table),
                              (reader.token_sha256,), prepare=True)

    def find_command(self, username: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """(fingerprint, result) of a recorded command, or None."""
        found, _ = self.find_command_or_record(username, key, None)
        return found

    def find_command_or_record(self, username: str, key: str, record_id: Any) -> tuple[tuple[str, dict[str, Any]] | None,
                                                                                          bool]:
        """(fingerprint, result) of a recorded command or None, and whether aggregate `record_id` has events.

        One statement, one round trip: the command log, and (for keys from before it) the old idempotency record.
        """
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql.SQL("SELECT fingerprint, result FROM {} WHERE username = %s AND key = %s"
                                 " UNION ALL (SELECT NULL, NULL FROM {} WHERE originator_id = %s LIMIT 1)")
                         .format(self.command_log, self.events_table), (username, key, record_id), prepare=True)
            rows = curs.fetchall()
        logged = [row for row in rows if row["fingerprint"] is not None]
        found = (logged[0]["fingerprint"], json.loads(logged[0]["result"])) if logged else None
        return found, len(rows) > len(logged)
