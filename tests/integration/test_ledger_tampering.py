"""The verifiable ledger: rows tampered with directly in PostgreSQL are named by position, by `verify` and
by the offline bundle verifier alike; an untouched log verifies."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

import documents

from entrypoints import cli
from web.reporting import issue_report
from coordination.signing import signing_key
from projections.checkpoints import sign_head
from coordination.storage import connect
from ledger_proof.verify_bundle import Row, chain_step, genesis
from projections.worker import ProjectionWorker
from tests.conftest import FINANCE, OFFICE, SUPERVISOR

pytestmark = pytest.mark.db


def some_history(ledger, conn) -> dict[str, int]:
    """A task with a few events, a gap in the positions (a burned id), more events after it."""
    task = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"}, category="other",
                              lead_unit="finance", co_units=["education"], deadline=date(2026, 6, 30)).result["id"]
    acknowledged = ledger.acknowledge(FINANCE, task).position
    urged = ledger.urge(SUPERVISOR, task, message="请加快").position
    conn.execute("SELECT setval(pg_get_serial_sequence('ledger_events', 'notification_id'),"
                 " (SELECT max(notification_id) FROM ledger_events) + 3)")
    progress = ledger.report_progress(FINANCE, task, percent=40, text="已完成调研").position
    ledger.urge(OFFICE, task, message="再次催办")
    return {"acknowledged": acknowledged, "urged": urged, "gap": urged + 2, "progress": progress}


@pytest.fixture
def setup(runtime, monkeypatch):
    """History, views caught up, the H1 report issued, the chain signed; the CLI pointed at the same store."""
    monkeypatch.setenv("DATABASE_URL", runtime.url)
    monkeypatch.setenv("COORDINATION_SCHEMA", runtime.schema)
    monkeypatch.setenv("COORDINATION_DATA_DIR", str(runtime.settings.data_dir))
    # Here only the chain is on trial: the bundle goes without the report's documents, whose rendering (seconds
    # for the PDF's fonts) tests/unit/test_documents.py and the demo bundle's test prove.
    monkeypatch.setattr(documents, "issued_files", lambda content: {})
    conn = connect(runtime.url, schema=runtime.schema, autocommit=True)
    positions = some_history(runtime.ledger, conn)
    worker = ProjectionWorker(runtime.ledger, runtime.url, runtime.schema)
    worker.catch_up_all(conn)
    issue_report(runtime.ledger, conn, SUPERVISOR, "2026H1", "上半年督查情况良好。")
    worker.catch_up_all(conn)
    checkpoint = sign_head(conn, signing_key(runtime.settings))
    positions["checkpoint"] = checkpoint.position
    yield conn, positions
    conn.close()


def verify_cli(capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = cli.main(["verify"])
    return status, capsys.readouterr().out.strip().splitlines()[-1]


def bundle_verdict(tmp_path: Path, capsys) -> tuple[int, str]:
    """Export the bundle, then run its own verify_bundle.py in a fresh directory with a clean environment."""
    bundle = tmp_path / "audit.zip"
    assert cli.main(["export-audit", "2026H1", "--out", str(bundle)]) == 0
    capsys.readouterr()
    fresh = tmp_path / "offline"
    fresh.mkdir(exist_ok=True)
    with zipfile.ZipFile(bundle) as z:
        (fresh / "verify_bundle.py").write_bytes(z.read("verify_bundle.py"))
    (fresh / "audit.zip").write_bytes(bundle.read_bytes())
    done = subprocess.run([sys.executable, "-I", "verify_bundle.py", "audit.zip"], cwd=fresh, env={"PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout.strip()


def test_an_untouched_log_verifies_in_the_service_and_offline(setup, tmp_path, capsys):
    conn, _ = setup
    status, out = verify_cli(capsys)
    head = conn.execute("SELECT hash, (SELECT count(*) FROM ledger_events) FROM ledger_chain"
                        " ORDER BY position DESC LIMIT 1").fetchone()
    assert (status, out) == (0, f"ok: {head[1]} events, head {head[0]}")
    status, out = bundle_verdict(tmp_path, capsys)
    assert status == 0, out
    assert out.splitlines()[0] == f"ok: {head[1]} events, head {head[0]}"
    assert "figures recompute" in out and "tasks_assigned=1" in out and "urgings=2" in out


def _edit(conn, p):
    conn.execute("UPDATE ledger_events SET state = convert_to(replace(convert_from(state, 'UTF8'), '请加快', '不必了'), 'UTF8')"
                 " WHERE notification_id = %s", (p["urged"],))
    return p["urged"], "edited"


def _delete(conn, p):
    conn.execute("DELETE FROM ledger_events WHERE notification_id = %s", (p["acknowledged"],))
    return p["acknowledged"], "deleted"


def _insert(conn, p):
    conn.execute("INSERT INTO ledger_events (notification_id, originator_id, originator_version, topic, state)"
                 " SELECT %s, originator_id, 99, topic, state FROM ledger_events WHERE notification_id = %s",
                 (p["gap"], p["urged"]))
    return p["gap"], "inserted"


def _reorder(conn, p):
    a, b = p["acknowledged"], p["urged"]
    for old, new in ((a, -1), (b, a), (-1, b)):
        conn.execute("UPDATE ledger_events SET notification_id = %s WHERE notification_id = %s", (new, old))
    return a, "reordered"


def _rewrite_chain(conn, p):
    """Edit a row, then recompute the chain table from there so that it matches: only the checkpoint knows."""
    _edit(conn, p)
    previous = bytes.fromhex(conn.execute("SELECT hash FROM ledger_chain WHERE position < %s ORDER BY position DESC"
                                          " LIMIT 1", (p["urged"],)).fetchone()[0])
    for values in conn.execute("SELECT notification_id, originator_id, originator_version, topic, state"
                               " FROM ledger_events WHERE notification_id >= %s ORDER BY notification_id",
                               (p["urged"],)).fetchall():
        row = Row(values[0], str(values[1]), values[2], values[3], bytes(values[4]))
        previous = chain_step(previous, row, "sha256")
        conn.execute("UPDATE ledger_chain SET hash = %s WHERE position = %s", (previous.hex(), row.position))
    return p["checkpoint"], "rewritten"


def _forge_checkpoint(conn, p):
    conn.execute("UPDATE ledger_checkpoints SET hash = %s", (genesis("sha256").hex(),))
    return p["checkpoint"], "forged"


@pytest.mark.parametrize("tamper", [_edit, _delete, _insert, _reorder, _rewrite_chain, _forge_checkpoint],
                         ids=["update-state", "delete-row", "insert-row", "swap-positions", "chain-rewritten",
                              "forged-checkpoint"])
def test_each_kind_of_tampering_is_named_by_position_in_verify_and_offline(setup, tmp_path, capsys, tamper):
    conn, positions = setup
    position, word = tamper(conn, positions)

    status, out = verify_cli(capsys)
    assert status == 1
    assert out.startswith(f"failed: position {position}:") and word in out, out

    status, out = bundle_verdict(tmp_path, capsys)
    assert status == 1
    assert out.startswith(f"failed: position {position}:") and word in out, out


def test_a_checkpoint_signed_by_another_key_is_not_trusted(setup, runtime, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    conn, positions = setup
    runtime.ledger.urge(OFFICE, conn.execute("SELECT originator_id FROM ledger_events WHERE notification_id = %s",
                                             (positions["urged"],)).fetchone()[0], message="第三次催办")
    ProjectionWorker(runtime.ledger, runtime.url, runtime.schema).catch_up_all(conn)
    forged = sign_head(conn, Ed25519PrivateKey.generate())
    status, out = verify_cli(capsys)
    assert status == 1 and out.startswith(f"failed: position {forged.position}:") and "not a trusted key" in out


def test_the_offline_verifier_imports_only_the_standard_library_and_cryptography():
    source = (Path(__file__).resolve().parents[2] / "ledger_proof" / "verify_bundle.py").read_text()
    modules = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}
