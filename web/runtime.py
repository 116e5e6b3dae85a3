"""Per-process resources of the web app, built in create_app (after gunicorn forks): the ledger and a
connection pool for the views. Views get a connection that first waits for the caller's own writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import current_app, g

from coordination.ledger import Ledger
from coordination.errors import ViewsBehind
from projections.tracking import ALL_VIEWS, wait_for


def ledger() -> Ledger:
    return current_app.extensions["ledger"]


def pool():
    return current_app.extensions["pool"]


@contextmanager
def views(*, up_to_date: bool = False) -> Iterator[psycopg.Connection]:
    """A connection to the views, once they show everything this caller wrote (bounded wait).

    `up_to_date`: wait for everything anyone wrote so far — for reading one object the ledger has
    just shown to exist, which the views must then show too.
    """
    with pool().connection() as conn:
        position = getattr(g, "last_position", 0)
        if up_to_date:
            position = max(position, ledger().position())
        if position and not wait_for(conn, position, names=ALL_VIEWS, timeout=5.0):
            raise ViewsBehind("the views have not caught up with your last change yet; try again in a moment")
        yield conn
