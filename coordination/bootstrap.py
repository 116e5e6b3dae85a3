"""Building the ledger from the one configuration: storage, clock, application. Nothing at import time."""

from __future__ import annotations

from dataclasses import dataclass

from coordination.ledger import Ledger
from coordination.clock import Clock, SystemClock
from coordination.config import Settings
from coordination.storage import database_url, ensure_schema, eventsourcing_env, migrate
from domain.actors import SYSTEM


@dataclass
class Runtime:
    settings: Settings
    url: str
    schema: str | None
    ledger: Ledger


def open_ledger(
    settings: Settings, *, create_table: bool = False, schema: str | None = None, clock: Clock | None = None,
    cache: int = 0,
) -> Runtime:
    """The ledger on the configured PostgreSQL. Long-running processes pass create_table=False (no DDL).

    `cache`: keep up to this many aggregates in memory (the web processes). A cached aggregate is never
    used as it is: every load first reads the events stored after its version (one round trip, instead of
    a snapshot and the events after it), so a load sees every committed change, from any process.
    """
    url = database_url(settings)
    schema = schema or settings.schema
    env = eventsourcing_env(url, schema=schema, create_table=create_table)
    if cache:
        env.update({"AGGREGATE_CACHE_MAXSIZE": str(cache), "AGGREGATE_CACHE_FASTFORWARD": "y"})
    ledger = Ledger(env, clock=clock or SystemClock.from_settings(settings))
    ledger.upload_limit = settings.upload_limit_bytes
    return Runtime(settings=settings, url=url, schema=schema, ledger=ledger)


def initialise(settings: Settings, *, schema: str | None = None, clock: Clock | None = None) -> Runtime:
    """coordination init: create or migrate every table, then seed the group and its 26 units (idempotent)."""
    url = database_url(settings)
    schema = schema or settings.schema
    if schema:
        ensure_schema(url, schema)
    runtime = open_ledger(settings, create_table=True, schema=schema, clock=clock)
    migrate(url, schema=schema)
    runtime.ledger.establish(SYSTEM)
    return runtime
