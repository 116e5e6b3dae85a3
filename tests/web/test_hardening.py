"""Hardening (issue 7) over HTTP: bad input gets a clear 4xx naming the field and changes nothing; an absent
database gets 503 with Retry-After, never 500; a running server shrugs off slow clients and killed processes."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError
from psycopg_pool import ConnectionPool

pytestmark = pytest.mark.db

TASK = {"title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-06-30"}


def assigned(api) -> str:
    response = api.call("POST", "/api/v1/tasks", "office1", json=TASK)
    assert response.status_code == 201, response.get_json()
    task = response.get_json()["id"]
    assert api.call("POST", f"/api/v1/tasks/{task}/acknowledgements", "fin").status_code == 201
    return task


def raw(api, method: str, path: str, user: str, body: str):
    return api.call(method, path, user, data=body.encode("utf-8", "surrogatepass"),
                    headers={"Content-Type": "application/json"})


def test_nul_surrogates_and_control_characters_get_422_naming_the_field_and_record_nothing(api, runtime):
    task = assigned(api)
    before = runtime.ledger.position()
    nul = api.call("POST", f"/api/v1/tasks/{task}/progress", "fin", json={"percent": 1, "text": "a\u0000b"})
    assert nul.status_code == 422 and "text" in nul.get_json()["errors"], nul.get_json()
    surrogate = raw(api, "POST", "/api/v1/topics", "fin", '{"title": "议题", "background": "\\ud800"}')
    assert surrogate.status_code == 422 and "background" in surrogate.get_json()["errors"], surrogate.get_json()
    in_a_key = raw(api, "POST", "/api/v1/topics", "fin", '{"title": "议题", "\\ud800": 1}')
    assert in_a_key.status_code == 422, in_a_key.get_json()
    name = api.call("PUT", "/api/v1/units/finance/liaison", "office1",
                    json={"name": "张\u001b三", "title": "科长", "reason": "调整"})
    assert name.status_code == 422 and "name" in name.get_json()["errors"]
    key = api.call("POST", f"/api/v1/tasks/{task}/progress", "fin", json={"percent": 1, "text": "ok"},
                   headers={"Idempotency-Key": "k\u0007"})
    assert key.status_code == 422 and "Idempotency-Key" in key.get_json()["errors"]
    assert runtime.ledger.position() == before


def test_far_dates_and_extreme_instants_are_refused_and_shared_pages_keep_answering(api, runtime):
    far = api.call("POST", "/api/v1/tasks", "office1", json={**TASK, "deadline": "9999-12-31"})
    assert far.status_code == 422 and "deadline" in far.get_json()["errors"]
    task = assigned(api)
    extension = api.call("POST", f"/api/v1/tasks/{task}/extension-requests", "fin",
                         json={"new_deadline": "9999-12-31", "reason": "延期"})
    assert extension.status_code == 422 and "new_deadline" in extension.get_json()["errors"]
    for as_of in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1999-12-31T00:00:00+08:00"):
        for path in ("/api/v1/units/finance/board", "/api/v1/dashboard", "/api/v1/tasks", "/api/v1/meetings"):
            response = api.call("GET", path, "office1", query_string={"as_of": as_of})
            assert response.status_code == 422 and "as_of" in response.get_json()["errors"], (path, as_of)
    for path in ("/api/v1/units/finance/board", "/api/v1/dashboard", "/api/v1/tasks",
                 "/api/v1/reports/supervision/2026H2"):
        assert api.call("GET", path, "office1").status_code == 200, path


def test_deeply_nested_json_is_a_400_not_a_500(api):
    deep = "[" * 100_000 + "]" * 100_000
    response = raw(api, "POST", "/api/v1/topics", "fin", deep)
    assert response.status_code in (400, 413) and response.get_json()["code"] == response.status_code
    shallow_but_deep = raw(api, "POST", "/api/v1/topics", "fin", '{"title": ' + "[" * 40 + "]" * 40 + "}")
    assert shallow_but_deep.status_code == 400


def test_a_wrong_method_says_which_are_allowed_and_unknown_query_parameters_are_refused(api):
    wrong = api.call("DELETE", "/api/v1/tasks", "office1")
    assert wrong.status_code == 405 and {"GET", "POST"} <= set(wrong.headers["Allow"].replace(" ", "").split(","))
    unknown = api.call("GET", "/api/v1/tasks", "office1", query_string={"q": "x"})
    assert unknown.status_code == 422 and "q" in unknown.get_json()["errors"]
    on_a_plain_read = api.call("GET", "/api/v1/units", "office1", query_string={"q": "x"})
    assert on_a_plain_read.status_code == 422 and "q" in on_a_plain_read.get_json()["errors"]


def test_an_unreachable_database_is_a_503_with_retry_after_answered_within_two_seconds(app, api, runtime,
                                                                                      monkeypatch):
    task = assigned(api)
    monkeypatch.setattr(runtime.ledger.recorder, "insert_events",
                        lambda *a, **k: (_ for _ in ()).throw(OperationalError("connection refused")))
    command = api.call("POST", f"/api/v1/tasks/{task}/urgings", "office1", json={"message": "请加快"})
    assert command.status_code == 503 and command.headers["Retry-After"]
    assert command.get_json()["error"] == "store_unavailable" and "nothing was recorded" in command.get_json()["message"]

    dead = ConnectionPool("postgresql://postgres@127.0.0.1:1/nowhere", min_size=0, max_size=1, open=True,
                          timeout=1.5, kwargs={"connect_timeout": 2})
    live, app.extensions["pool"] = app.extensions["pool"], dead
    try:
        started = time.monotonic()
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.headers["Retry-After"]
        assert health.get_json()["database"] == "unavailable"
        assert time.monotonic() - started < 2.5
    finally:
        app.extensions["pool"] = live
        dead.close()
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"
    assert set(ready.get_json()["projections"]) == {"audit", "registers", "task_history", "calendar", "notifications",
                                                    "ledger_chain"}


# --- a running server: slow clients, killed processes ---------------------------------------------------------


def children(pid: int) -> list[tuple[int, str]]:
    """Every descendant process of `pid`, with its command line (from /proc; Linux)."""
    found, parents = [], {pid}
    for _ in range(3):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            if ppid in parents and int(entry.name) not in {p for p, _ in found}:
                found.append((int(entry.name), cmdline))
        parents |= {p for p, _ in found}
    return found


def projection_worker(server) -> int | None:
    return next((pid for pid, cmd in children(server.process.pid) if "entrypoints.cli worker" in cmd), None)


def test_fifty_idle_or_slow_connections_do_not_delay_a_health_check_or_a_liaison(server):
    port = int(server.base.rsplit(":", 1)[1])
    for _ in range(10):  # warm every process up: connections made, first queries planned
        assert server("GET", "/api/v1/units/finance/board", "fin")[0] == 200
    slow = []
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        if i % 2:
            s.sendall(b"GET /api/v1/units/finance/board HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        slow.append(s)
    try:
        time.sleep(0.5)
        timings = []
        for _ in range(10):
            for path, user in (("/healthz", None), ("/api/v1/units/finance/board", "fin")):
                started = time.monotonic()
                assert server("GET", path, user)[0] == 200
                timings.append((time.monotonic() - started, path))
        print("with 50 slow connections open:", ", ".join(f"{t * 1000:.0f} ms {p}" for t, p in timings))
        assert max(t for t, _ in timings) < 1.0
    finally:
        for s in slow:
            s.close()


def test_killed_processes_are_replaced_and_the_views_keep_up(server):
    worker = projection_worker(server)
    assert worker is not None
    os.kill(worker, signal.SIGKILL)
    web = next(pid for pid, cmd in children(server.process.pid)
               if "entrypoints.cli worker" not in cmd and pid != worker)
    os.kill(web, signal.SIGKILL)
    deadline = time.monotonic() + 60  # bounded, and generous: CI machines are shared and slow at times
    while (projection_worker(server) in (None, worker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert projection_worker(server) not in (None, worker), "serve did not restart the projection worker"
    status, task, _ = server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "重启之后"})
    assert status == 201
    while time.monotonic() < deadline:
        status, body, _ = server("GET", "/readyz")
        if status == 200 and all(v["lag_events"] == 0 for v in body["projections"].values()):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the views did not catch up: {body}")
    board = server("GET", "/api/v1/units/finance/board", "office1")[1]
    assert task["id"] in [t["id"] for t in board["tasks"]]
