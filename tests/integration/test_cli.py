"""The console command: init twice, users add, demo on an empty and a non-empty store."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from entrypoints import cli
from coordination.bootstrap import open_ledger
from coordination.config import Settings
from projections.eventlog import EventLog

pytestmark = pytest.mark.db


@pytest.fixture
def env(monkeypatch, database_url, schema, tmp_path):
    """The CLI reads its settings from the environment; point it at a fresh schema."""
    from coordination.storage import ensure_schema

    ensure_schema(database_url, schema)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COORDINATION_SCHEMA", schema)
    monkeypatch.setenv("COORDINATION_DATA_DIR", str(tmp_path))
    return schema


def run(*argv: str, stdin: str = "") -> int:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(list(argv))
    finally:
        sys.stdin = old


def ledger_for(schema: str):
    assert Settings.from_env().schema == schema
    return open_ledger(Settings.from_env()).ledger


def test_init_twice_then_users_add_then_demo_then_demo_again_refuses(env, capsys):
    assert run("init") == 0
    assert run("init") == 0
    out = capsys.readouterr().out
    assert out.count("26 个成员单位") == 2

    assert run("users", "add", "fin01", "--unit", "finance", "--role", "liaison", stdin="A long password 1\n") == 0
    ledger = ledger_for(env)
    try:
        assert ledger.authenticate("fin01", "A long password 1").unit == "finance"
    finally:
        ledger.close()

    assert run("demo") == 1
    assert "not empty" in capsys.readouterr().err
    assert run("demo", "--if-empty") == 0
    assert "跳过" in capsys.readouterr().out


def test_demo_on_an_empty_store_writes_a_believable_half_year(env, capsys):
    assert run("init") == 0
    assert run("demo") == 0
    ledger = ledger_for(env)
    try:
        now = ledger.clock.now()
        tasks = [ledger.task(e.aggregate_id) for e in EventLog(ledger).iter() if e.type == "Task.Assigned"]
        types = Counter(e.type for e in EventLog(ledger).iter())
        assert len(tasks) >= 30
        statuses = Counter(t.status for t in tasks)
        assert set(statuses) == {"assigned", "in_progress", "completion_requested", "completed", "cancelled"}
        assert any(t.is_overdue(now) for t in tasks)
        assert any(t.effective_deadline != t.deadline for t in tasks if t.status == "completed"), "an extended task"
        assert any(t.status == "completed" and not t.completion["on_time"] for t in tasks), "a late completion"
        assert any(t.status == "completed" and t.completion["on_time"] for t in tasks)
        assert types["Task.Reassigned"] >= 1 and types["Task.Urged"] >= 1
        assert any(not e.data["accepted"] for e in EventLog(ledger).iter() if e.type == "Task.CompletionDecided"), "a return"
        assert types["Meeting.MinutesIssued"] == 5
        assert {t.category for t in tasks} == {"policy", "standards", "funding", "facilities", "programs", "talent",
                                               "socialization", "other"}
        assert len({t.lead_unit for t in tasks}) >= 15
        roles = {role for e in EventLog(ledger).iter() if e.type == "User.Registered" for role in e.data["roles"]}
        assert roles == {"office", "liaison", "supervisor", "admin"}
        last: dict = {}
        backwards = []
        for e in EventLog(ledger).iter():  # in log order, which is each aggregate's version order
            if e.aggregate_id in last and e.at < last[e.aggregate_id]:
                backwards.append(f"{e.type} of {e.aggregate_id} at {e.at.isoformat()}")
            last[e.aggregate_id] = e.at
        assert backwards == [], "no aggregate's story goes back in time (the units were established by init)"
        assert types["MemberUnit.LiaisonChanged"] == 3
    finally:
        ledger.close()
