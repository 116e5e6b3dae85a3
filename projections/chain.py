"""The hash chain over the event log (tamper evidence): kept like a view, recomputed by `verify`.

The chain is computed from the raw rows of the library's events table — not from decoded events — so
that any change to a stored byte shows. It is extended exactly once per row, in the same way as the
views (the batch commits with its position in `projection_tracking`), but it is never rebuilt: a chain
recomputed from a tampered log would hide the tampering. The encoding and the chain step are defined
once, in `ledger_proof.verify_bundle`, which is also the verifier handed to supervisors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from ledger_proof.verify_bundle import (
    Checkpoint,
    Link,
    Row,
    Verified,
    chain_step,
    check_algorithm,
    genesis,
    verify_log,
)

EVENTS_TABLE = "ledger_events"
"""The eventsourcing library's events table of the application named "ledger"."""
ROW_COLUMNS = "notification_id, originator_id, originator_version, topic, state"
LINK_COLUMNS = "position, previous_position, originator_id, originator_version, algorithm, hash"
CHECKPOINT_COLUMNS = "position, hash, algorithm, signed_at, key_id, signature, public_key"
REPORT_ISSUED_TOPIC = "domain.reports:SupervisionReport.Issued"


class HashChain:
    """Extends `ledger_chain` over the rows appended since its position."""

    name = "ledger_chain"

    def __init__(self, algorithm: str = "sha256", events_table: str = EVENTS_TABLE):
        self.algorithm = check_algorithm(algorithm)
        self.events = sql.Identifier(events_table)

    def catch_up(self, conn: psycopg.Connection, *, batch_size: int = 500, limit: int | None = None) -> int:
        """Chain the rows after the chain's position, one committed batch at a time. Returns how many."""
        if not conn.autocommit:
            raise ValueError("the chain needs an autocommit connection")
        chained = 0
        while limit is None or chained < limit:
            batch = batch_size if limit is None else min(batch_size, limit - chained)
            done = self._extend(conn, batch)
            chained += done
            if done < batch:
                break
        return chained

    def _extend(self, conn: psycopg.Connection, batch: int) -> int:
        with conn.transaction():
            conn.execute("INSERT INTO projection_tracking (name) VALUES (%s) ON CONFLICT DO NOTHING", (self.name,))
            (position,) = conn.execute("SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE",
                                       (self.name,)).fetchone()
            last = conn.execute("SELECT hash, algorithm FROM ledger_chain WHERE position = %s", (position,)).fetchone()
            head, algorithm = (bytes.fromhex(last[0]), last[1]) if last else (genesis(self.algorithm), self.algorithm)
            rows = conn.execute(sql.SQL("SELECT {} FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                                .format(sql.SQL(ROW_COLUMNS), self.events), (position, batch)).fetchall()
            if not rows:
                return 0
            with conn.cursor() as cur, cur.copy(f"COPY ledger_chain ({LINK_COLUMNS}) FROM STDIN") as copy:
                previous = position
                for values in rows:
                    row = Row(*values)
                    head = chain_step(head, row, algorithm)
                    copy.write_row((row.position, previous, row.originator_id, row.originator_version, algorithm,
                                    head.hex()))
                    previous = row.position
            conn.execute("UPDATE projection_tracking SET position = %s, updated_at = now() WHERE name = %s",
                         (previous, self.name))
            return len(rows)


def head(conn: psycopg.Connection) -> dict[str, Any] | None:
    """The last chained position and its hash."""
    found = conn.execute("SELECT position, hash, algorithm FROM ledger_chain ORDER BY position DESC LIMIT 1").fetchone()
    return {"position": found[0], "hash": found[1], "algorithm": found[2]} if found else None


def published_head(conn: psycopg.Connection) -> dict[str, Any]:
    """The chain head and the last signed checkpoint, as GET /api/v1/ledger/head publishes them."""
    current = head(conn) or {"position": 0, "hash": None, "algorithm": None}
    checkpoint = last_checkpoint(conn)
    return {**current, "checkpoint": checkpoint.__dict__ if checkpoint else None}


def head_at(conn: psycopg.Connection, position: int, *, algorithm: str = "sha256",
            events_table: str = EVENTS_TABLE) -> dict[str, Any]:
    """The chain head after the last row at or before `position` (chaining in memory what the view has not yet)."""
    with conn.transaction():
        found = conn.execute("SELECT position, hash, algorithm FROM ledger_chain WHERE position <= %s"
                             " ORDER BY position DESC LIMIT 1", (position,)).fetchone()
        after, digest, algorithm = (found[0], bytes.fromhex(found[1]), found[2]) if found else (0, None, algorithm)
        digest = digest or genesis(algorithm)
        for row in _rows(conn, events_table, after=after, upto=position):
            digest = chain_step(digest, row, algorithm)
    return {"position": position, "hash": digest.hex()}


def checkpoints(conn: psycopg.Connection) -> list[Checkpoint]:
    rows = conn.execute(f"SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY position").fetchall()
    return [Checkpoint(*r) for r in rows]


def last_checkpoint(conn: psycopg.Connection) -> Checkpoint | None:
    found = conn.execute(f"SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY position DESC LIMIT 1").fetchone()
    return Checkpoint(*found) if found else None


def record_checkpoint(conn: psycopg.Connection, checkpoint: Checkpoint) -> None:
    conn.execute(f"INSERT INTO ledger_checkpoints ({CHECKPOINT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                 " ON CONFLICT (position) DO NOTHING",
                 (checkpoint.position, checkpoint.hash, checkpoint.algorithm, checkpoint.signed_at, checkpoint.key_id,
                  checkpoint.signature, checkpoint.public_key))


def report_issued_after(conn: psycopg.Connection, position: int, upto: int,
                        events_table: str = EVENTS_TABLE) -> bool:
    """Whether a supervision report was issued at a log position in (position, upto]."""
    return conn.execute(sql.SQL("SELECT 1 FROM {} WHERE notification_id > %s AND notification_id <= %s"
                                " AND topic = %s LIMIT 1").format(sql.Identifier(events_table)),
                        (position, upto, REPORT_ISSUED_TOPIC)).fetchone() is not None


def position_of_event(conn: psycopg.Connection, originator_id: Any, version: int) -> int | None:
    """Where the chain saw an aggregate's event (also after the event was deleted from the log)."""
    found = conn.execute("SELECT position FROM ledger_chain WHERE originator_id = %s AND originator_version = %s",
                         (originator_id, version)).fetchone()
    return found[0] if found else None


def verify(conn: psycopg.Connection, trusted: dict[str, Any] | None, *, algorithm: str = "sha256",
           events_table: str = EVENTS_TABLE) -> Verified:
    """Recompute the chain from the events table and check it against `ledger_chain` and every checkpoint.

    One REPEATABLE READ snapshot, read with server-side cursors (constant memory). `trusted` maps key ids
    to Ed25519 public keys; None trusts the keys recorded beside the checkpoints (self-consistency only).
    Raises `ledger_proof.verify_bundle.Divergence` naming the first diverging log position.
    """
    from ledger_proof.verify_bundle import keys_by_id, load_public_key

    if not conn.autocommit:
        raise ValueError("verify needs an autocommit connection")
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        found = checkpoints(conn)
        if trusted is None:
            trusted = keys_by_id(load_public_key(c.public_key.encode()) for c in found)
        return verify_log(_rows(conn, events_table), _links(conn), found, trusted, algorithm)


def _rows(conn: psycopg.Connection, events_table: str = EVENTS_TABLE, *, after: int = 0,
          upto: int | None = None) -> Iterator[Row]:
    query = sql.SQL("SELECT {} FROM {} WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id")
    with conn.cursor(name="ledger_rows") as cur:
        cur.itersize = 5000
        cur.execute(query.format(sql.SQL(ROW_COLUMNS), sql.Identifier(events_table)),
                    (after, upto if upto is not None else 2**62))
        for values in cur:
            yield Row(values[0], str(values[1]), values[2], values[3], bytes(values[4]))


def _links(conn: psycopg.Connection) -> Iterator[Link]:
    with conn.cursor(name="ledger_links") as cur:
        cur.itersize = 5000
        cur.execute(f"SELECT {LINK_COLUMNS} FROM ledger_chain ORDER BY position")
        for values in cur:
            yield Link(values[0], values[1], str(values[2]), values[3], values[4], values[5])
