"""Fixtures of the integration tests: a connection to the views and a way to bring every view up to the log."""

from __future__ import annotations

import pytest

from coordination.storage import connect
from projections.tracking import catch_up
from projections.worker import all_views


@pytest.fixture
def conn(runtime):
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as c:
        yield c


def sync(runtime, conn) -> None:
    """Every view caught up with the log, as the worker would."""
    for view in all_views(runtime.ledger):
        catch_up(runtime.ledger, conn, view)


@pytest.fixture
def views(runtime):
    """A function that catches every view up and returns a connection to them."""
    conn = connect(runtime.url, schema=runtime.schema, autocommit=True)
    built = all_views(runtime.ledger)

    def sync_views():
        for view in built:
            catch_up(runtime.ledger, conn, view)
        return conn

    yield sync_views
    conn.close()
