"""Count the database round trips of one HTTP command, with libpq's own trace of every connection.

The app is built in this process (the same create_app gunicorn's workers run) against a schema that
`coordination init` + `coordination demo` filled; a liaison posts progress twice (the first warms the
pools and caches), and the second is traced: every message the client sends and every ReadyForQuery the
server answers. A round trip is one wait for the server: a simple Query, or a Sync that ends an extended
query (several Syncs sent in one pipeline share one wait; these are counted as "pipelined").

    .venv/bin/python -m benchmarks.roundtrips            # prints each statement and the totals
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

import psycopg

TRACES = Path(tempfile.mkdtemp(prefix="bench-trace-"))
"""One trace file per connection: connections of other threads (a pool filling up) never interleave."""


def _traced_connect():
    original = psycopg.Connection.connect.__func__
    made = iter(range(1, 1_000_000))
    traced = []

    def connect(cls, *args, **kwargs):
        conn = original(cls, *args, **kwargs)
        handle = os.open(TRACES / f"{next(made):04}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        traced.append((conn, handle))
        _trace(conn, handle)
        return conn

    psycopg.Connection.connect = classmethod(connect)
    return traced


def _trace(conn, handle: int) -> None:
    conn.pgconn.trace(handle)
    conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)


def _flush(traced, again: bool) -> None:
    """libpq buffers its trace: untracing flushes it."""
    for conn, handle in traced:
        if not conn.closed:
            conn.pgconn.untrace()
            if again:
                _trace(conn, handle)


def statements(trace: str) -> tuple[list[str], int]:
    """(the statements of each round trip, round trips) from a libpq trace.

    A round trip ends when every Query and Sync sent has had its ReadyForQuery back; the statements sent
    before it (several, when pipelined) are listed together.
    """
    trips, pending, prepared, waiting = [], [], {}, 0
    messages: list[str] = []
    for line in trace.splitlines():  # a statement's text may span lines
        if line.startswith(("F\t", "B\t")) or not messages:
            messages.append(line)
        else:
            messages[-1] += " " + line
    for line in messages:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        direction, kind, rest = parts[0], parts[2], parts[3].strip() if len(parts) > 3 else ""
        if direction == "F" and kind == "Query":
            pending.append(rest[1:-1] or "(empty query: a pool's connection check)")
        elif direction == "F" and kind == "Parse":  # "name" "text" n oids...
            name, text = rest[1:].split('"', 1)[0], rest[1:].split('"', 1)[1].strip()[1:]
            text = text[:text.rindex('"')] if '"' in text else text
            if name:
                prepared[name] = text
                pending.append("PREPARE " + text)
            else:
                pending.append(text)
        elif direction == "F" and kind == "Bind":  # "portal" "statement" ...
            statement = rest.split('"')[3] if rest.count('"') >= 4 else ""
            if statement:
                pending.append(prepared.get(statement, "(statement prepared before)"))
        if direction == "F" and kind in ("Query", "Sync"):
            waiting += 1
        elif direction == "B" and kind == "ReadyForQuery":
            waiting -= 1
            if waiting == 0:
                trips.append(" ; ".join(re.sub(r"\s+", " ", t)[:110] for t in pending) or "(sync)")
                pending = []
    return trips, len(trips)


def main() -> None:
    from benchmarks.http import Server
    from coordination.config import Settings
    from coordination.storage import database_url

    url = database_url(Settings.from_env())
    with Server(url) as server:
        tasks = server.tasks_for_each_unit()
        os.environ.update({"DATABASE_URL": url, "COORDINATION_SCHEMA": server.schema, "COORDINATION_REQUIRE_2FA": "off"})
        traced = _traced_connect()
        from web import create_app

        client = create_app().test_client()
        token = client.post("/api/v1/auth/token", json={"username": "finance-liaison",
                                                         "password": "lucheng-2026"}).get_json()["token"]
        for attempt in range(2):
            _flush(traced, again=True)
            before = {path: path.stat().st_size for path in TRACES.iterdir()}
            answer = client.post(f"/api/v1/tasks/{tasks['finance']}/progress", json={"percent": 10 + attempt, "text": "进展"},
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
            assert answer.status_code == 201, answer.get_data(as_text=True)
        _flush(traced, again=False)
        sent = []
        for path in sorted(TRACES.iterdir()):
            with path.open() as f:
                f.seek(before.get(path, 0))
                found, _ = statements(f.read())
                sent += [f"[connection {path.stem}] {line}" for line in found]
    for n, line in enumerate(sent, 1):
        print(f"{n:3}. {line}")
    prepared = sum(all(part.startswith("PREPARE") for part in line.split("] ", 1)[1].split(" ; ")) for line in sent)
    print(f"one progress command over HTTP: {len(sent) - prepared} round trips, and {prepared} more that prepare a"
          f" statement on a connection's first use of it (traces in {TRACES})")


if __name__ == "__main__":
    main()
