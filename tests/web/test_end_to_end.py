"""End to end: `coordination serve` with several workers on a free loopback port; seed 002's story over
HTTP as the office, two liaisons and a supervisor; the boards, the H1 report and the audit log read back."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

import pytest

from coordination.bootstrap import initialise
from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect
from tests.conftest import ADMIN

pytestmark = pytest.mark.db
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, base: str):
        self.base = base
        self.tokens: dict[str, str] = {}

    def __call__(self, method: str, path: str, user: str | None = None, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if user:
            request.add_header("Authorization", f"Bearer {self.login(user)}")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None), dict(response.headers)
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, (json.loads(raw) if raw else None), dict(error.headers)

    def login(self, user: str) -> str:
        if user not in self.tokens:
            status, body, _ = self("POST", "/api/v1/auth/token", body={"username": user, "password": PASSWORD})
            assert status == 201, body
            self.tokens[user] = body["token"]
        return self.tokens[user]


@pytest.fixture
def server(database_url, tmp_path):
    schema = "test_" + uuid.uuid4().hex[:12]
    settings = Settings(database_url=database_url, schema=schema, data_dir=tmp_path, clock_start=None,
                        clock_offset_ms=None, secret_key="e2e")
    runtime = initialise(settings, clock=ManualClock(datetime.fromisoformat("2026-03-01T09:00:00+08:00")))
    for username, unit, role in [("office1", "culture-tourism", "office"), ("dukao1", "supervision-office", "supervisor"),
                                 ("fin", "finance", "liaison"), ("edu", "education", "liaison")]:
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=[role])
    runtime.ledger.close()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATION_SCHEMA": schema,
           "COORDINATION_CLOCK_START": "2026-03-02T09:00:00+08:00", "SECRET_KEY": "e2e"}
    env.pop("COORDINATION_CLOCK_OFFSET_MS", None)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port), "--workers", "3"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    http = Http(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http("GET", "/healthz")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        pytest.fail("the server did not come up: " + (tmp_path / "serve.log").read_text()[-2000:])
    yield http
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    finally:
        log.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        with connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()[-2000:]
    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert any(r.get("logger", "").startswith("gunicorn") for r in records), "gunicorn logs in the same format"
    requests = [r for r in records if r.get("event") == "request"]
    assert requests and all({"request_id", "status", "ms"} <= set(r) for r in requests)
    assert any(r.get("user") == "fin" and r.get("unit") == "finance" for r in requests)
    text = (tmp_path / "serve.log").read_text()
    assert PASSWORD not in text and "Bearer" not in text
    assert http.tokens and not any(token in text for token in http.tokens.values())


def test_seed_002s_story_over_http_against_a_running_server(server):
    http = server
    ok = lambda result, status: result[0] == status or pytest.fail(f"{result}")  # noqa: E731

    topic = http("POST", "/api/v1/topics", "fin", {"title": "建立财政保障机制", "background": "示范区创建要求"})
    ok(topic, 201)
    ok(http("POST", f"/api/v1/topics/{topic[1]['id']}/acceptance", "office1"), 200)
    meeting = http("POST", "/api/v1/meetings", "office1", {
        "kind": "plenary", "title": "协调组2026年第一次全体会议", "date": "2026-03-02", "location": "区政府第一会议室",
        "chair": "区政府分管副区长", "topics": [topic[1]["id"]]})
    ok(meeting, 201)
    url = f"/api/v1/meetings/{meeting[1]['id']}"
    ok(http("POST", f"{url}/attendance", "office1", {"present": ["culture-tourism", "finance", "education"],
                                                       "absent": [{"unit": "statistics", "reason": "出差"}]}), 200)
    ok(http("PUT", f"{url}/minutes", "office1", {"number": "鹿文协纪〔2026〕1号", "summary": "纪要", "items": [
        {"title": "建立财政保障机制", "text": "区财政局牵头,区教育局配合", "category": "funding", "outcome": "agreed"}]}), 200)
    issued = http("POST", f"{url}/minutes/issue", "office1")
    ok(issued, 200)
    resolution = issued[1]["resolutions"][0]["id"]

    task = http("POST", "/api/v1/tasks", "office1", {
        "title": "出台基本公共文化服务保障标准", "source": {"kind": "resolution", "resolution_id": resolution},
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"},
        headers={"Idempotency-Key": "e2e-task-1"})
    ok(task, 201)
    again = http("POST", "/api/v1/tasks", "office1", {
        "title": "出台基本公共文化服务保障标准", "source": {"kind": "resolution", "resolution_id": resolution},
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"},
        headers={"Idempotency-Key": "e2e-task-1"})
    assert again[1] == task[1], "the same key and body answer the first response, from any worker"
    t = f"/api/v1/tasks/{task[1]['id']}"
    ok(http("POST", f"{t}/acknowledgements", "fin"), 201)
    ok(http("POST", f"{t}/acknowledgements", "edu"), 201)
    ok(http("POST", f"{t}/progress", "edu", {"percent": 50, "text": "学校设施数据已报送",
                                            "evidence": [{"name": "数据.xlsx", "sha256": "ab" * 32}]}), 201)
    ok(http("POST", f"{t}/urgings", "dukao1", {"message": "请按期完成"}), 201)
    ok(http("POST", f"{t}/extension-requests", "fin", {"new_deadline": "2026-07-31", "reason": "等待市级标准"}), 201)
    ok(http("POST", f"{t}/extension-requests/1/decision", "office1", {"approved": True, "comment": "同意"}), 200)
    ok(http("POST", f"{t}/completion-request", "fin", {"summary": "标准已印发"}), 201)
    ok(http("POST", f"{t}/completion-decision", "office1", {"accepted": True, "comment": "核验通过"}), 200)
    ok(http("POST", f"{t}/comments", "dukao1", {"text": "按期完成"}), 201)

    board = http("GET", "/api/v1/units/finance/board", "office1")
    assert board[1]["counts"]["completed"] == 1 and board[1]["tasks"][0]["effective_deadline"] == "2026-07-31"
    assert http("GET", "/api/v1/units/finance/board", "edu")[0] == 403
    co_board = http("GET", "/api/v1/units/education/board", "edu")
    assert [x["role"] for x in co_board[1]["tasks"]] == ["co"]

    report = http("GET", "/api/v1/reports/supervision/2026H1", "dukao1")
    assert report[0] == 200
    assert report[1]["totals"]["meetings_held"] == 1 and report[1]["totals"]["tasks_completed_on_time"] == 1
    assert report[1]["totals"]["extensions_approved"] == 1 and report[1]["totals"]["urgings"] == 1

    seen, after = [], 0
    while True:
        page = http("GET", f"/api/v1/events?after={after}&limit=50", "dukao1")[1]
        if not page["events"]:
            break
        seen += page["events"]
        after = page["next_after"]
    types = [e["type"] for e in seen]
    assert types.count("Task.Acknowledged") == 2 and types[-1] == "Task.Commented"
    assert seen[-1]["actor"] == {"username": "dukao1", "unit": "supervision-office"}
    status, body, headers = http("GET", "/healthz")
    assert status == 200 and headers.get("X-Request-ID")
