"""Schemathesis against the app's own OpenAPI document: a bounded number of generated requests per
operation, as the office and as a liaison; no 5xx, and responses that match their documented shapes."""

from __future__ import annotations

import dataclasses
import threading
import uuid

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import response_schema_conformance
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from coordination.bootstrap import initialise
from coordination.clock import ManualClock
from coordination.storage import connect
from projections.worker import ProjectionWorker
from tests.conftest import ADMIN
from web import create_app

pytestmark = pytest.mark.db
PASSWORD = "Correct horse battery 7"


@pytest.fixture(scope="module")
def fuzz_app(database_url, tmp_path_factory):
    from datetime import datetime

    from coordination.config import Settings

    schema = "test_" + uuid.uuid4().hex[:12]
    base = Settings(database_url=database_url, schema=schema, data_dir=tmp_path_factory.mktemp("fuzz"),
                    clock_start=None, clock_offset_ms=None, secret_key="fuzz", require_2fa=False)
    runtime = initialise(base, schema=schema, clock=ManualClock(datetime.fromisoformat("2026-03-02T09:00:00+08:00")))
    for username, unit, role in [("office1", "culture-tourism", "office"), ("fin", "finance", "liaison")]:
        runtime.ledger.register_user(ADMIN, username=username, password=PASSWORD, unit=unit, roles=[role])
    app = create_app({"TESTING": True, "SETTINGS": dataclasses.replace(base), "LEDGER": runtime.ledger})
    worker = ProjectionWorker(runtime.ledger, runtime.url, schema, poll_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    client = app.test_client()
    app.config["FUZZ_TOKENS"] = [
        client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).get_json()["token"]
        for u in ("office1", "fin")
    ]
    yield app
    stop.set()
    thread.join(timeout=10)
    app.extensions["pool"].close()
    runtime.ledger.close()
    with connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_no_generated_request_makes_a_server_error(fuzz_app):
    """Every operation, as the office and as a liaison, with bounded valid and invalid inputs: never a 5xx,
    and every documented response matches its schema."""
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    tokens = fuzz_app.config["FUZZ_TOKENS"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30
    statuses: list[int] = []

    cases = [(op, mode) for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    for operation, mode in cases:
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            for token in tokens:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                statuses.append(response.status_code)
                assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
                case.validate_response(response, checks=[response_schema_conformance])

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid ones
    # The generated requests reached the handlers: most were answered, some refused, none crashed.
    assert len(statuses) >= 4 * len(operations)
    assert any(200 <= s < 300 for s in statuses) and any(s == 422 for s in statuses)
