"""The ledger over HTTP: the published head, the supervisor's page with 立即校验, and a damaged log
answered with a clear error (never a 500), a rebuild that stops naming the position, a worker that lives."""

from __future__ import annotations

import re
import time

import pytest

from entrypoints import cli
from coordination.signing import signing_key
from projections.checkpoints import sign_head
from coordination.storage import connect
from projections.worker import ProjectionWorker
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.db


def assign(api) -> str:
    response = api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "建设城市书房", "source": {"kind": "plan", "reference": "方案"}, "category": "facilities",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-06-30"})
    assert response.status_code == 201, response.get_json()
    task = response.get_json()["id"]
    assert api.call("POST", f"/api/v1/tasks/{task}/acknowledgements", "fin").status_code == 201
    assert api.call("POST", f"/api/v1/tasks/{task}/progress", "fin", json={"percent": 30, "text": "选址完成"}).status_code == 201
    return task


def chained(runtime) -> None:
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        ProjectionWorker(runtime.ledger, runtime.url, runtime.schema).catch_up_all(conn)
        sign_head(conn, signing_key(runtime.settings))


def test_office_and_supervisor_read_the_signed_head_a_liaison_may_not(api, runtime):
    assign(api)
    chained(runtime)
    head = api.call("GET", "/api/v1/ledger/head", "dukao1").get_json()
    assert head["position"] == runtime.ledger.position() and head["algorithm"] == "sha256"
    assert re.fullmatch(r"[0-9a-f]{64}", head["hash"])
    assert head["checkpoint"]["hash"] == head["hash"] and head["checkpoint"]["key_id"]
    assert set(head["checkpoint"]) >= {"position", "hash", "signed_at", "key_id", "signature", "public_key"}
    assert api.call("GET", "/api/v1/ledger/head", "office1").status_code == 200
    assert api.call("GET", "/api/v1/ledger/head", "fin").status_code == 403


def test_a_supervisor_verifies_now_on_the_ledger_page_and_sees_a_deletion_by_position(app, api, runtime):
    assign(api)
    chained(runtime)
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "dukao1", "password": PASSWORD,
                                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form)[1]})
    page = client.get("/ledger").get_data(as_text=True)
    assert "立即校验" in page and "最近的签名检查点" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    result = client.post("/ledger/verify", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "校验通过" in result

    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        deleted = conn.execute("SELECT max(notification_id) - 1 FROM ledger_events").fetchone()[0]
        conn.execute("DELETE FROM ledger_events WHERE notification_id = %s", (deleted,))
    result = client.post("/ledger/verify", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "校验未通过" in result and f"日志位置 {deleted} 处不一致" in result


def test_a_task_whose_event_was_deleted_answers_503_naming_the_position_and_the_views_live_on(
        app, api, runtime, monkeypatch, capsys):
    task = assign(api)
    chained(runtime)
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        acknowledged = conn.execute("SELECT notification_id FROM ledger_events WHERE originator_id = %s"
                                    " AND originator_version = 2", (task,)).fetchone()[0]
        conn.execute("DELETE FROM ledger_events WHERE notification_id = %s", (acknowledged,))

    response = api.call("GET", f"/api/v1/tasks/{task}", "office1")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "log_damaged" and f"log position {acknowledged}" in body["message"]
    assert "coordination verify" in body["message"]

    # A rebuild stops with a non-zero exit naming the position that cannot be applied.
    monkeypatch.setenv("DATABASE_URL", runtime.url)
    monkeypatch.setenv("COORDINATION_SCHEMA", runtime.schema)
    monkeypatch.setenv("COORDINATION_DATA_DIR", str(runtime.settings.data_dir))
    assert cli.main(["rebuild", "task_history"]) == 1
    assert f"log position {acknowledged + 1}" in capsys.readouterr().err

    # The running worker (the app fixture's thread) goes on with every view.
    api.call("POST", f"/api/v1/tasks/{assign(api)}/urgings", "dukao1", json={"message": "请加快"})
    deadline = time.monotonic() + 10
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        while time.monotonic() < deadline:
            audit = conn.execute("SELECT position FROM projection_tracking WHERE name = 'audit'").fetchone()[0]
            if audit == runtime.ledger.position():
                break
            time.sleep(0.1)
        assert audit == runtime.ledger.position()
        # The failed rebuild left the served task_history tables as they were; they keep following the log.
        rows = conn.execute("SELECT count(*) FROM task_versions WHERE task_id = %s", (task,)).fetchone()[0]
        assert rows == 3
