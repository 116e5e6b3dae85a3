"""Fixtures: a real PostgreSQL (DATABASE_URL, or an embedded one under var/), a fresh schema per test."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect, start_embedded
from domain.actors import Actor

ROOT = Path(__file__).resolve().parent.parent
# One prefix per pytest-xdist worker: each worker drops only its own leftovers, never a schema another is using.
TEST_SCHEMA_PREFIX = f"test_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_"


def fresh_schema_name() -> str:
    """A fresh schema name of this test process."""
    return TEST_SCHEMA_PREFIX + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2's cheapest profile for the suite's own accounts: the full cost made most of the run's time."""
    from argon2 import PasswordHasher, profiles

    from coordination import passwords

    real = passwords._hasher
    passwords.use_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    passwords.use_hasher(real)


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or start_embedded(ROOT / "var" / "test-postgres")
    with connect(url, autocommit=True) as conn:
        for (schema,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (TEST_SCHEMA_PREFIX,)
        ).fetchall():
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return url


@pytest.fixture
def schema(database_url: str):
    """A fresh, empty schema (for tests of `coordination init` and the like)."""
    name = fresh_schema_name()
    yield name
    with connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# Everything that makes up a schema's shape: tables and their columns, indexes, constraints, triggers (and
# whether they are enabled), functions, sequences, and the migrations recorded as applied.
SHAPE = """
SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
    SELECT 'col:' || c.relname || ':' || c.relkind::text || ':' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
           || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS part
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = %(ns)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT 'idx:' || indexdef FROM pg_indexes WHERE schemaname = %(name)s
    UNION ALL SELECT 'con:' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
     WHERE connamespace = %(ns)s::regnamespace
    UNION ALL SELECT 'trg:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON t.tgrelid = c.oid
     WHERE c.relnamespace = %(ns)s::regnamespace
    UNION ALL SELECT 'fn:' || proname || ':' || md5(prosrc) FROM pg_proc WHERE pronamespace = %(ns)s::regnamespace
    UNION ALL SELECT 'acl:' || c.relname || ':' || coalesce(c.relacl::text, '') FROM pg_class c
     WHERE c.relnamespace = %(ns)s::regnamespace
    UNION ALL SELECT 'migration:' || name FROM schema_migrations
) parts
"""


class SchemaPool:
    """Migrated schemas of this test process, emptied after a test and given to the next one.

    Migrating a fresh schema (25 tables with their indexes, triggers and functions) took 0.25 s of every
    database test, and most of the suite's PostgreSQL time; emptying one takes 0.01 s. A schema goes back
    into the pool only when its shape is exactly that of a freshly migrated one (a test that altered a table,
    disabled a trigger or removed a migration's record leaves a schema that is dropped instead), and it
    comes back with every row deleted and every sequence restarted, as `initialise` found it the first time.
    """

    def __init__(self, url: str):
        self.url = url
        self.free: list[str] = []
        self.fresh_shape: str | None = None

    def take(self) -> tuple[str, bool]:
        """A schema name, and whether it is a fresh one (not yet migrated)."""
        return (self.free.pop(), False) if self.free else (fresh_schema_name(), True)

    def shape(self, name: str) -> str:
        with connect(self.url, schema=name, autocommit=True) as conn:
            return conn.execute(SHAPE, {"ns": f'"{name}"', "name": name}).fetchone()[0]

    def give_back(self, name: str, reuse: bool = True) -> None:
        with connect(self.url, schema=name, autocommit=True) as conn:
            try:
                if not reuse:
                    raise LookupError("something the test started may still be using it")
                if self.fresh_shape is None or self.shape(name) != self.fresh_shape:
                    raise LookupError("not the shape of a freshly migrated schema")
                with conn.transaction():
                    # Triggers (the append-only guards, foreign keys) do not fire for this emptying.
                    conn.execute("SET LOCAL session_replication_role = replica")
                    for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s "
                                                 "AND tablename <> 'schema_migrations'", (name,)).fetchall():
                        conn.execute(f'DELETE FROM "{name}"."{table}"')
                    for (sequence,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s",
                                                    (name,)).fetchall():
                        conn.execute("SELECT setval(%s::regclass, 1, false)", (f'"{name}"."{sequence}"',))
            except (LookupError, psycopg.Error):
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
                return
        self.free.append(name)

    def close(self) -> None:
        with connect(self.url, autocommit=True) as conn:
            for name in self.free:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.free.clear()


@pytest.fixture(scope="session")
def schema_pool(database_url: str):
    pool = SchemaPool(database_url)
    yield pool
    pool.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, schema=None, data_dir=tmp_path, clock_start=None, clock_offset_ms=None,
                    secret_key="test", require_2fa=False)  # dedicated tests (tests/web/test_accounts.py) turn it on


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.fromisoformat("2026-03-02T09:00:00+08:00"))


@pytest.fixture
def runtime(settings: Settings, schema_pool: SchemaPool, clock: ManualClock):
    """`coordination init` on a schema of its own: the group and its 26 units, nothing else."""
    from coordination.bootstrap import initialise

    schema, fresh = schema_pool.take()
    rt = initialise(settings, schema=schema, clock=clock)
    if fresh and schema_pool.fresh_shape is None:
        schema_pool.fresh_shape = schema_pool.shape(schema)
    threads = set(threading.enumerate())
    try:
        yield rt
    finally:
        rt.ledger.close()
        # A thread the test started and left running (a worker that did not stop in time) could still write
        # into this schema: then it is dropped rather than given to the next test.
        lingering = [t.name for t in threading.enumerate() if t not in threads and t.is_alive()]
        try:
            assert secrets_in_the_log(rt.url, schema) == [], "no password hash in any stored event (issue 9)"
        finally:
            schema_pool.give_back(schema, reuse=not lingering)


def secrets_in_the_log(url: str, schema: str, extra: tuple[str, ...] = ()) -> list[int]:
    """Positions of stored events (state bytes, and snapshots) holding an argon2 hash or any of `extra`."""
    needles = [b"$argon2", *(e.encode() for e in extra)]
    with connect(url, schema=schema, autocommit=True) as conn:
        rows = conn.execute("SELECT notification_id, state FROM ledger_events UNION ALL "
                            "SELECT originator_version, state FROM ledger_snapshots").fetchall()
    return [position for position, state in rows if any(n in bytes(state) for n in needles)]


@pytest.fixture
def ledger(runtime):
    return runtime.ledger


def actor(username: str, unit: str, *roles: str) -> Actor:
    return Actor(username=username, unit=unit, roles=frozenset(roles))


OFFICE = actor("office1", "culture-tourism", "office")
SUPERVISOR = actor("dukao1", "supervision-office", "supervisor")
ADMIN = actor("admin", "gov-office", "admin")
FINANCE = actor("finance-liaison", "finance", "liaison")
EDUCATION = actor("education-liaison", "education", "liaison")
HOUSING = actor("housing-liaison", "housing-construction", "liaison")
CULTURE = actor("culture-liaison", "culture-tourism", "liaison")
