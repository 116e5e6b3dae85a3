"""An API client against the real app, with the projection worker running beside it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from coordination.bootstrap import initialise
from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect
from projections.worker import ProjectionWorker
from tests.conftest import ADMIN, secrets_in_the_log
from web import create_app

PASSWORD = "Correct horse battery 7"
USERS = {
    "office1": ("culture-tourism", ["office"]),
    "dukao1": ("supervision-office", ["supervisor"]),
    "admin1": ("gov-office", ["admin"]),
    "fin": ("finance", ["liaison"]),
    "edu": ("education", ["liaison"]),
    "housing": ("housing-construction", ["liaison"]),
}


@pytest.fixture
def app(runtime):
    for username, (unit, roles) in USERS.items():
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=roles)
    settings = dataclasses.replace(runtime.settings, schema=runtime.schema)
    app = create_app({"TESTING": True, "SETTINGS": settings, "LEDGER": runtime.ledger})
    worker = ProjectionWorker(runtime.ledger, runtime.url, runtime.schema, poll_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    yield app
    stop.set()
    thread.join(timeout=10)
    app.extensions["pool"].close()


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 201, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, as_user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        return self.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def api(app, runtime):
    client = Api(app.test_client())
    yield client
    issued = tuple(client.tokens.values())
    assert secrets_in_the_log(runtime.url, runtime.schema, issued) == [], "no hash or bearer token in the log"


# --- `coordination serve` as a subprocess on a free loopback port ---------------------------------------


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


@contextlib.contextmanager
def running_server(database_url: str, directory: Path) -> Iterator[Http]:
    """`coordination serve` (3 processes) on a free loopback port over a fresh schema with four users."""
    schema = "test_" + uuid.uuid4().hex[:12]
    settings = Settings(database_url=database_url, schema=schema, data_dir=directory, clock_start=None,
                        clock_offset_ms=None, secret_key="e2e", require_2fa=False)
    runtime = initialise(settings, clock=ManualClock(datetime.fromisoformat("2026-03-01T09:00:00+08:00")))
    for username, unit, role in [("office1", "culture-tourism", "office"), ("dukao1", "supervision-office", "supervisor"),
                                 ("fin", "finance", "liaison"), ("edu", "education", "liaison")]:
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=[role])
    runtime.ledger.close()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATION_SCHEMA": schema,
           "COORDINATION_CLOCK_START": "2026-03-02T09:00:00+08:00", "SECRET_KEY": "e2e", "COORDINATION_REQUIRE_2FA": "off"}
    env.pop("COORDINATION_CLOCK_OFFSET_MS", None)
    log = open(directory / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port), "--workers", "3"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    http = Http(f"http://127.0.0.1:{port}")
    http.process, http.log_path = proc, directory / "serve.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http("GET", "/healthz")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        pytest.fail("the server did not come up: " + (directory / "serve.log").read_text()[-2000:])
    try:
        yield http
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        finally:
            log.close()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            with connect(database_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def server(request, database_url, tmp_path):
    with running_server(database_url, tmp_path) as http:
        yield http
    proc = http.process
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()[-2000:]
    if request.node.get_closest_marker("serve_log_checked") is None:
        return
    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert any(r.get("logger", "").startswith("gunicorn") for r in records), "gunicorn logs in the same format"
    requests = [r for r in records if r.get("event") == "request"]
    assert requests and all({"request_id", "status", "ms"} <= set(r) for r in requests)
    assert any(r.get("user") == "fin" and r.get("unit") == "finance" for r in requests)
    text = (tmp_path / "serve.log").read_text()
    assert PASSWORD not in text and "Bearer" not in text
    assert http.tokens and not any(token in text for token in http.tokens.values())
