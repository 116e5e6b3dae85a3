"""The demo history: its audit bundle verifies offline with no database, and a backup restored into a
fresh data dir and schema verifies with the same head, the same boards and the same issued report."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile
from datetime import datetime

import pytest

from entrypoints import cli
from entrypoints.demo import load_demo
from web.reporting import issue_report, regenerate_issued
from coordination.signing import signing_key
from projections.checkpoints import sign_head
from coordination.storage import connect
from domain.deadlines import SHANGHAI
from domain.reports import Period
from domain.charter import UNIT_CODES
from projections import chain, queries
from projections.worker import ProjectionWorker, all_views, rebuild
from tests.conftest import SUPERVISOR, fresh_schema_name

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 22, 12, tzinfo=SHANGHAI)


@pytest.fixture
def demo(runtime, clock, monkeypatch):
    clock.set(NOW)
    load_demo(runtime.ledger)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        worker = ProjectionWorker(runtime.ledger, runtime.url, runtime.schema)
        worker.catch_up_all(conn)
        issue_report(runtime.ledger, conn, SUPERVISOR, "2026H1", "上半年各成员单位履职情况良好。")
        worker.catch_up_all(conn)
        sign_head(conn, signing_key(runtime.settings))
    monkeypatch.setenv("DATABASE_URL", runtime.url)
    monkeypatch.setenv("COORDINATION_SCHEMA", runtime.schema)
    monkeypatch.setenv("COORDINATION_DATA_DIR", str(runtime.settings.data_dir))
    return runtime


def boards(conn) -> dict[str, dict]:
    return {unit: queries.board(conn, unit, NOW) for unit in UNIT_CODES}


def test_the_demo_bundle_verifies_in_a_fresh_directory_without_the_database(demo, tmp_path, capsys):
    bundle = tmp_path / "audit-2026H1.zip"
    assert cli.main(["export-audit", "2026H1", "--out", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        report = json.loads(z.read("report.json"))
        fresh = tmp_path / "elsewhere"
        fresh.mkdir()
        (fresh / "verify_bundle.py").write_bytes(z.read("verify_bundle.py"))
    assert {"events.jsonl", "chain.jsonl", "checkpoints.json", "report.json", "manifest.json", "README.txt"} <= names
    assert any(n.startswith("keys/") for n in names) and not any("signing_key" in n for n in names)
    assert report["ledger"]["position"] == report["log_position"]
    (fresh / "audit-2026H1.zip").write_bytes(bundle.read_bytes())

    done = subprocess.run([sys.executable, "-I", "verify_bundle.py", "audit-2026H1.zip"], cwd=fresh,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    first, _, report_line = done.stdout.splitlines()
    with connect(demo.url, schema=demo.schema) as conn:
        head = chain.head(conn)
    assert first == f"ok: {demo.ledger.position() - _gaps(demo)} events, head {head['hash']}"
    assert f"meetings_held={report['totals']['meetings_held']}" in report_line
    assert f"tasks_assigned={report['totals']['tasks_assigned']}" in report_line


def _gaps(runtime) -> int:
    with connect(runtime.url, schema=runtime.schema) as conn:
        return runtime.ledger.position() - conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


def test_a_backup_restored_into_a_fresh_store_verifies_with_the_same_head_boards_and_report(
        demo, tmp_path, monkeypatch, capsys, database_url):
    from coordination.bootstrap import open_ledger
    from coordination.config import Settings

    backup = tmp_path / "ledger.backup"
    assert cli.main(["backup", "--out", str(backup)]) == 0
    with connect(demo.url, schema=demo.schema) as conn:
        head, before = chain.head(conn), boards(conn)
        issued = regenerate_issued(demo.ledger, conn, "2026H1")

    restored_schema = fresh_schema_name()
    monkeypatch.setenv("COORDINATION_SCHEMA", restored_schema)
    monkeypatch.setenv("COORDINATION_DATA_DIR", str(tmp_path / "restored"))
    try:
        capsys.readouterr()
        assert cli.main(["restore", str(backup)]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1].startswith("ok: ")
        assert cli.main(["restore", str(backup)]) == 1, "a store that holds events is never overwritten"
        assert cli.main(["verify"]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1].endswith(f"head {head['hash']}")

        restored = open_ledger(Settings.from_env()).ledger
        try:
            with connect(database_url, schema=restored_schema, autocommit=True) as conn:
                assert chain.head(conn) == head
                assert boards(conn) == before
                assert restored.issued_report(Period.parse("2026H1")).content == \
                    demo.ledger.issued_report(Period.parse("2026H1")).content
                for view in all_views(restored):
                    rebuild(restored, database_url, restored_schema, view)
                assert boards(conn) == before, "the restored views equal a rebuild"
                assert regenerate_issued(restored, conn, "2026H1") == issued
        finally:
            restored.close()
    finally:
        with connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{restored_schema}" CASCADE')
