"""Throttled logins, disabled users, and no password or token in the logs."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import ADMIN
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.db


def login(api, username, password, address="10.1.1.1"):
    return api.client.post("/api/v1/auth/token", json={"username": username, "password": password},
                           environ_overrides={"REMOTE_ADDR": address})


def test_failed_logins_are_throttled_per_account_even_with_the_right_password(api):
    for _ in range(5):
        assert login(api, "fin", "wrong password").status_code == 401
    blocked = login(api, "fin", PASSWORD, address="10.9.9.9")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert login(api, "edu", PASSWORD).status_code == 201, "other accounts are not blocked"


def test_failed_logins_are_throttled_per_address(api):
    for i in range(30):
        assert login(api, f"nobody{i}", "wrong password", address="10.7.7.7").status_code == 401
    assert login(api, "edu", PASSWORD, address="10.7.7.7").status_code == 429
    assert login(api, "edu", PASSWORD, address="10.7.7.8").status_code == 201


def test_the_throttle_is_shared_by_every_process_through_the_database(api, app, runtime):
    for _ in range(5):
        login(api, "housing", "wrong password")
    with app.extensions["pool"].connection() as conn:
        assert conn.execute("SELECT count(*) FROM login_failures WHERE key = 'user:housing'").fetchone()[0] == 5


def test_a_disabled_user_can_neither_log_in_nor_use_an_old_token(api, runtime):
    token = api.token("fin")
    runtime.ledger.disable_user(ADMIN, "fin", reason="调离")
    assert login(api, "fin", PASSWORD).status_code == 403
    response = api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_no_password_or_token_reaches_the_logs(api, caplog):
    with caplog.at_level(logging.DEBUG):
        token = api.token("edu")
        api.call("GET", "/api/v1/tasks", "edu")
        login(api, "edu", "a wrong secret value")
    text = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert PASSWORD not in text and "a wrong secret value" not in text
    assert token not in text
    assert "request" in text, "requests are logged"


def test_oversized_bodies_are_refused_without_a_crash(api):
    response = api.call("POST", "/api/v1/topics", "office1", data=b"x" * (2 * 1024 * 1024),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_malformed_json_is_a_4xx_not_a_5xx(api):
    response = api.call("POST", "/api/v1/topics", "office1", data=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
