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
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from psycopg import sql

from coordination.bootstrap import initialise
from coordination.clock import ManualClock
from coordination.config import Settings
from coordination.storage import connect
from projections.worker import ProjectionWorker
from tests.conftest import ADMIN, fresh_schema_name, secrets_in_the_log
from web import attach, create_app

PASSWORD = "Correct horse battery 7"
USERS = {
    "office1": ("culture-tourism", ["office"]),
    "dukao1": ("supervision-office", ["supervisor"]),
    "admin1": ("gov-office", ["admin"]),
    "fin": ("finance", ["liaison"]),
    "edu": ("education", ["liaison"]),
    "housing": ("housing-construction", ["liaison"]),
}


_APPS: list[tuple[Flask, dict]] = []
"""This process's app, built once, and its configuration as built (see `app`)."""


def shared_app(settings: Settings, ledger) -> Flask:
    """The app (create_app) on this test's database. Routes and the OpenAPI document are built once per
    process, then the app is attached to each test's ledger with its configuration as it was first built."""
    if not _APPS:
        app = create_app({"TESTING": True, "SETTINGS": settings, "LEDGER": ledger})
        _APPS.append((app, dict(app.config)))
        return app
    app, config = _APPS[0]
    app.config.clear()
    app.config.update(config, SETTINGS=settings, LEDGER=ledger)
    attach(app, settings, ledger)
    return app


@pytest.fixture
def app(runtime):
    for username, (unit, roles) in USERS.items():
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=roles)
    settings = dataclasses.replace(runtime.settings, schema=runtime.schema)
    app = shared_app(settings, runtime.ledger)
    worker = ProjectionWorker(runtime.ledger, runtime.url, runtime.schema, poll_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    yield app
    stop.set()
    wake(app, runtime.ledger)
    thread.join(timeout=30)
    app.extensions["pool"].close()
    # A worker still running would write into the schema after it went back to the pool for the next test.
    assert not thread.is_alive(), "the projection worker did not stop"


def wake(app: Flask, ledger) -> None:
    """Wake a projection worker waiting on its notification channel, so that it sees `stop` now rather
    than at the end of its poll interval (0.1 s of every web test)."""
    with app.extensions["pool"].connection() as conn:
        conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(ledger.recorder.channel_name)))


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def settle(self) -> None:
        """Wait (bounded) until the views show every change so far. API reads guarantee a caller its own
        writes only; a test reading as one user what another just wrote waits, as that user would for a poll."""
        from web.runtime import views

        with self.client.application.test_request_context(), views(up_to_date=True):
            pass

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

    def upload(self, as_user: str, name: str, content: bytes) -> dict:
        """POST /api/v1/files: the evidence {name, sha256} to name in a report."""
        import io

        response = self.call("POST", "/api/v1/files", as_user, data={"file": (io.BytesIO(content), name)},
                             content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        return {"name": response.get_json()["name"], "sha256": response.get_json()["sha256"]}


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

    def upload(self, user: str, name: str, content: bytes) -> dict:
        """POST /api/v1/files as multipart/form-data: the evidence {name, sha256} to name in a report."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''"
                f"{urllib.parse.quote(name)}\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + content \
            + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + "/api/v1/files", data=body, method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {self.login(user)}"})
        with urllib.request.urlopen(request, timeout=20) as response:
            stored = json.loads(response.read())
        assert response.status == 201 and stored["name"] == name, stored
        return {"name": stored["name"], "sha256": stored["sha256"]}

    def login(self, user: str) -> str:
        if user not in self.tokens:
            status, body, _ = self("POST", "/api/v1/auth/token", body={"username": user, "password": PASSWORD})
            assert status == 201, body
            self.tokens[user] = body["token"]
        return self.tokens[user]


SERVER_START_SECONDS = 90
"""How long a server may take to answer its first /healthz: its three workers import the app at once, and on a
busy two-core machine (the suite's other worker, a browser) that has taken 20 s."""


def wait_until_up(http: Http, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if http.process.poll() is not None:
            break
        try:
            # Until a worker accepts, the connection waits in the listen backlog: wait as long as the deadline.
            request = urllib.request.Request(http.base + "/healthz")
            with urllib.request.urlopen(request, timeout=max(1.0, deadline - time.monotonic())) as response:
                if response.status == 200:
                    return
        except OSError:  # refused before the socket is bound, a timeout, a 503 while the database starts
            time.sleep(0.2)
    pytest.fail("the server did not come up: " + log_path.read_text()[-2000:])


@contextlib.contextmanager
def running_server(database_url: str, directory: Path, workers: int = 3) -> Iterator[Http]:
    """`coordination serve` (`workers` web processes) on a free loopback port over a fresh schema with five users."""
    schema = fresh_schema_name()
    settings = Settings(database_url=database_url, schema=schema, data_dir=directory, clock_start=None,
                        clock_offset_ms=None, secret_key="e2e", require_2fa=False)
    runtime = initialise(settings, clock=ManualClock(datetime.fromisoformat("2026-03-01T09:00:00+08:00")))
    for username, unit, role in [("office1", "culture-tourism", "office"), ("dukao1", "supervision-office", "supervisor"),
                                 ("fin", "finance", "liaison"), ("edu", "education", "liaison"),
                                 ("admin1", "gov-office", "admin")]:
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=[role])
    runtime.ledger.close()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATION_SCHEMA": schema,
           "COORDINATION_CLOCK_START": "2026-03-02T09:00:00+08:00", "SECRET_KEY": "e2e", "COORDINATION_REQUIRE_2FA": "off"}
    env.pop("COORDINATION_CLOCK_OFFSET_MS", None)
    log = open(directory / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    http = Http(f"http://127.0.0.1:{port}")
    http.process, http.log_path = proc, directory / "serve.log"
    try:
        wait_until_up(http, directory / "serve.log")
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
