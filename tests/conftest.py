"""Fixtures: a real PostgreSQL (DATABASE_URL, or an embedded one under var/), a fresh schema per test."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect, start_embedded
from domain.actors import Actor

ROOT = Path(__file__).resolve().parent.parent
TEST_SCHEMA_PREFIX = "test_"


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
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (TEST_SCHEMA_PREFIX + "%",)
        ).fetchall():
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return url


@pytest.fixture
def schema(database_url: str):
    name = TEST_SCHEMA_PREFIX + uuid.uuid4().hex[:12]
    yield name
    with connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, schema=None, data_dir=tmp_path, clock_start=None, clock_offset_ms=None,
                    secret_key="test", require_2fa=False)  # dedicated tests (tests/web/test_accounts.py) turn it on


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.fromisoformat("2026-03-02T09:00:00+08:00"))


@pytest.fixture
def runtime(settings: Settings, schema: str, clock: ManualClock):
    from coordination.bootstrap import initialise

    rt = initialise(settings, schema=schema, clock=clock)
    yield rt
    rt.ledger.close()
    assert secrets_in_the_log(rt.url, schema) == [], "no password hash in any stored event (issue 9)"


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
