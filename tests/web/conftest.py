"""An API client against the real app, with the projection worker running beside it."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from projections.worker import ProjectionWorker
from tests.conftest import ADMIN
from web import create_app

PASSWORD = "correct horse battery"
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
def api(app):
    return Api(app.test_client())
