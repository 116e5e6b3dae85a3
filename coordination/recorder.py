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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

FAULT_VARIABLE = "COORDINATION_FAULT_LOST_ACK_EVERY"


@dataclass(frozen=True)
class CommandEntry:
    username: str
    key: str
    fingerprint: str
    result: dict[str, Any]
    at: datetime


class CommandLogRecorder(PostgresApplicationRecorder):
    """Events and their command's entry, atomically."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.command_log = sql.Identifier(self.datastore.schema, "command_log")
        every = int(os.environ.get(FAULT_VARIABLE) or 0)
        self._lose_ack = (lambda n=itertools.count(1): next(n) % every == 0) if every > 0 else None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        if self._lose_ack is not None and kwargs.get("command") is not None and self._lose_ack():
            # Injected: committed, but the answer was lost; the library's retry then inserts again and runs
            # into rows already there (IntegrityError) — the path that once recorded commands twice.
            super().insert_events(stored_events, **kwargs)
            raise OperationalError("injected fault: the retry after a lost acknowledgement went through")
        return ids

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

    def find_command(self, username: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """(fingerprint, result) of a recorded command, or None."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql.SQL("SELECT fingerprint, result FROM {} WHERE username = %s AND key = %s")
                         .format(self.command_log), (username, key))
            row = curs.fetchone()
        return (row["fingerprint"], json.loads(row["result"])) if row else None
