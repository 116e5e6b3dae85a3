"""The one clock and the one configuration."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from coordination.clock import OFFSET_VARIABLE, ManualClock, SystemClock
from coordination.config import ConfigurationError, Settings
from coordination.storage import eventsourcing_env, redact


def test_a_clock_start_shifts_real_time_by_one_fixed_offset():
    settings = Settings.from_env({"COORDINATION_CLOCK_START": "2026-03-02T09:00:00+08:00"})
    clock = SystemClock.from_settings(settings)
    assert abs(clock.now() - datetime.fromisoformat("2026-03-02T09:00:00+08:00")) < timedelta(seconds=2)
    first = clock.now()
    assert clock.now() >= first, "the shifted clock runs forward"


def test_child_processes_share_the_parents_offset_to_the_millisecond(monkeypatch):
    monkeypatch.setenv(OFFSET_VARIABLE, "")  # recorded, so export_offset's value is undone after the test
    monkeypatch.delenv(OFFSET_VARIABLE)
    parent = SystemClock.from_settings(Settings.from_env({"COORDINATION_CLOCK_START": "2026-03-02T09:00:00+08:00"}))
    parent.export_offset()
    child_env = {"COORDINATION_CLOCK_START": "2030-01-01T00:00:00+08:00", OFFSET_VARIABLE: os.environ[OFFSET_VARIABLE]}
    child = SystemClock.from_settings(Settings.from_env(child_env))
    assert child.offset == parent.offset


def test_without_settings_the_clock_is_real_time():
    clock = SystemClock.from_settings(Settings.from_env({}))
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [("COORDINATION_CLOCK_START", "yesterday"), ("COORDINATION_CLOCK_START", "2026-03-02T09:00:00"),
     ("COORDINATION_SCHEMA", "Robert'); DROP"), ("COORDINATION_CLOCK_OFFSET_MS", "soon"),
     ("COORDINATION_UPLOAD_LIMIT_MB", "lots"), ("COORDINATION_UPLOAD_LIMIT_MB", "0")],
)
def test_malformed_settings_are_refused_with_the_variable_named(name, value):
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_the_upload_limit_is_50_mib_unless_set():
    assert Settings.from_env({}).upload_limit_bytes == 50 * 1024 * 1024
    assert Settings.from_env({"COORDINATION_UPLOAD_LIMIT_MB": "5"}).upload_limit_bytes == 5 * 1024 * 1024


def test_the_manual_clock_never_goes_back():
    clock = ManualClock(datetime(2026, 3, 2, tzinfo=timezone.utc))
    clock.advance(timedelta(hours=1))
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 2, tzinfo=timezone.utc))


def test_one_database_url_becomes_the_librarys_settings():
    env = eventsourcing_env("postgresql://app:s3cret@db.internal:5433/ledger", schema="coord")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == ("db.internal", "5433", "ledger")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == ("app", "s3cret", "coord")
    assert env["CREATE_TABLE"] == "n", "long-running processes run no DDL"
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in env
    socket = eventsourcing_env("postgresql://postgres:@/postgres?host=/srv/var/postgres")
    assert socket["POSTGRES_HOST"] == "/srv/var/postgres"


def test_passwords_are_hidden_in_messages():
    assert redact("postgresql://app:s3cret@db:5432/ledger") == "postgresql://app:***@db:5432/ledger"


def test_serve_keeps_one_secret_for_all_workers_across_restarts(tmp_path):
    import stat

    from entrypoints.serve import persistent_secret

    first = persistent_secret(tmp_path / "var" / "secret_key")
    assert len(first) >= 48 and persistent_secret(tmp_path / "var" / "secret_key") == first
    assert stat.S_IMODE((tmp_path / "var" / "secret_key").stat().st_mode) == 0o600
