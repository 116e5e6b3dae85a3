"""Issue 9 — accounts as 等保 2.0 level 3 assesses them: 三员分立, a second factor, login controls, the
security audit trail, proxy-aware throttling; and no secret in the event log."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pyotp
import pytest

from tests.web.conftest import PASSWORD, USERS
from web import create_app

pytestmark = pytest.mark.db

NEW_PASSWORD = "Neues Passwort 2026"


def make_app(runtime, **settings):
    app = create_app({"TESTING": True, "SETTINGS": dataclasses.replace(runtime.settings, schema=runtime.schema, **settings),
                      "LEDGER": runtime.ledger})
    return app


@pytest.fixture
def strict(app, runtime):
    """The same store served with COORDINATION_REQUIRE_2FA=on (the production default)."""
    strict_app = make_app(runtime, require_2fa=True)
    yield strict_app
    strict_app.extensions["pool"].close()


def token(client, username, password=PASSWORD, address="10.1.1.1", **extra):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": address})


def enrol(ledger, username):
    """Enrol a TOTP secret the way the 两步验证 page does; the secret and the recovery codes."""
    actor = ledger.user(username).as_actor()
    secret, uri = ledger.begin_second_factor(actor)
    assert uri.startswith("otpauth://totp/")
    codes = ledger.confirm_second_factor(actor, pyotp.TOTP(secret).at(ledger.clock.now()))
    return secret, codes


# --- 三员分立 ---------------------------------------------------------------------------------------------


def test_an_admin_cannot_open_an_account_that_is_admin_and_office_or_supervisor(api):
    response = api.call("POST", "/api/v1/users", "admin1", json={
        "username": "boss", "password": "Strong pass 2026", "unit": "gov-office",
        "roles": ["office", "supervisor", "admin"]})
    assert response.status_code == 422 and "roles" in response.get_json()["errors"], response.get_json()
    assert api.call("POST", "/api/v1/auth/token", json={"username": "boss", "password": "Strong pass 2026"}
                    ).status_code == 401, "no such account was made"


def test_an_admin_cannot_grant_itself_a_domain_role_and_reads_no_board_or_task(api):
    both = api.call("PATCH", "/api/v1/users/admin1", "admin1", json={"roles": ["admin", "office"], "reason": "兼任"})
    assert both.status_code == 422
    swap = api.call("PATCH", "/api/v1/users/admin1", "admin1", json={"roles": ["office"], "reason": "转岗"})
    assert swap.status_code == 403
    for path in ("/api/v1/units/gov-office/board", "/api/v1/tasks", "/api/v1/dashboard", "/api/v1/events"):
        assert api.call("GET", path, "admin1").status_code == 403, path


def test_grants_of_office_and_supervisor_are_audited_for_supervisors_and_flagged_on_the_dashboard(api):
    assert api.call("POST", "/api/v1/users", "admin1", json={
        "username": "office2", "password": "Strong pass 2026", "unit": "culture-tourism", "roles": ["office"]}
    ).status_code == 201
    changed = api.call("PATCH", "/api/v1/users/fin", "admin1", json={"roles": ["supervisor"], "reason": "调任督考办"})
    assert changed.status_code == 200 and changed.get_json()["roles"] == ["supervisor"]
    events = api.call("GET", "/api/v1/events?type=User.RolesChanged", "dukao1").get_json()["events"]
    assert [(e["data"]["granted"], e["data"]["removed"], e["data"]["reason"]) for e in events] == [
        (["supervisor"], ["liaison"], "调任督考办")]
    grants = api.call("GET", "/api/v1/dashboard", "office1").get_json()["recent_grants"]
    assert {(g["username"], g["role"], g["by"]) for g in grants} >= {("office2", "office", "admin1"),
                                                                     ("fin", "supervisor", "admin1")}


def test_the_admin_lists_accounts_and_disables_one_with_a_reason(api):
    listed = api.call("GET", "/api/v1/users", "admin1").get_json()
    assert {a["username"] for a in listed} >= set(USERS)
    assert set(listed[0]) == {"username", "display_name", "unit", "roles", "disabled"}
    api.token("edu")
    assert api.call("PATCH", "/api/v1/users/edu", "admin1", json={"disabled": True, "reason": "离职"}
                    ).get_json()["disabled"] is True
    assert api.call("GET", "/api/v1/group", "edu").status_code == 403
    assert api.call("PATCH", "/api/v1/users/edu", "admin1", json={"disabled": True}).status_code == 422, "reason"
    assert api.call("GET", "/api/v1/users", "office1").status_code == 403


# --- passwords ---------------------------------------------------------------------------------------------


def test_a_weak_password_is_refused_per_field(api):
    for weak in ("Short1!", "alllowercaseletters", "lowercase and spaces"):
        response = api.call("POST", "/api/v1/users", "admin1", json={
            "username": "weak", "password": weak, "unit": "finance", "roles": ["liaison"]})
        assert response.status_code == 422 and "password" in response.get_json()["errors"], weak


def test_own_change_needs_the_current_password_and_an_admin_reset_forces_a_change_at_next_login(api, app):
    wrong = api.call("POST", "/api/v1/users/fin/password", "fin", json={"current_password": "nope", "password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["errors"]
    assert api.call("POST", "/api/v1/users/fin/password", "fin",
                    json={"current_password": PASSWORD, "password": NEW_PASSWORD}).status_code == 204
    assert token(api.client, "fin", NEW_PASSWORD).status_code == 201
    assert api.call("POST", "/api/v1/users/edu/password", "fin", json={"password": NEW_PASSWORD, "reason": "x"}
                    ).status_code == 403
    assert api.call("POST", "/api/v1/users/edu/password", "admin1", json={"password": "Temporary pw 1"}
                    ).status_code == 422, "a reset needs a reason"
    assert api.call("POST", "/api/v1/users/edu/password", "admin1",
                    json={"password": "Temporary pw 1", "reason": "忘记密码"}).status_code == 204
    refused = token(api.client, "edu", "Temporary pw 1")
    assert refused.status_code == 403 and refused.get_json()["error"] == "password_change_required"
    # the page: login → 修改密码 → login again
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "edu", "password": "Temporary pw 1", "csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    form = client.get("/account/password").get_data(as_text=True)
    assert "修改密码" in form
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # a new session since the login
    client.post("/account/password", data={"current_password": "Temporary pw 1", "password": NEW_PASSWORD,
                                           "csrf_token": csrf})
    assert token(api.client, "edu", NEW_PASSWORD).status_code == 201


# --- the second factor -------------------------------------------------------------------------------------


def test_with_2fa_on_the_password_alone_gets_second_factor_needed_and_a_right_code_gets_a_token(strict, runtime, clock):
    client = strict.test_client()
    unenrolled = token(client, "office1")
    assert unenrolled.status_code == 401 and unenrolled.get_json()["error"] == "second_factor_required"
    secret, _ = enrol(runtime.ledger, "office1")
    clock.advance(timedelta(seconds=30))
    alone = token(client, "office1")
    assert alone.status_code == 401
    assert alone.get_json()["error"] == "second_factor_required" and alone.get_json()["message"] == "second factor needed"
    code = pyotp.TOTP(secret).at(clock.now())
    assert token(client, "office1", otp=code).status_code == 201
    assert token(client, "office1", otp=code).status_code == 401, "a code works once"
    assert token(client, "fin").status_code == 201, "liaisons need no second factor"


def test_a_wrong_code_is_throttled_like_a_wrong_password(strict, runtime, clock):
    client = strict.test_client()
    secret, _ = enrol(runtime.ledger, "dukao1")
    for _ in range(5):
        clock.advance(timedelta(seconds=30))
        wrong = f"{(int(pyotp.TOTP(secret).at(clock.now())) + 1) % 1_000_000:06d}"
        assert token(client, "dukao1", otp=wrong).status_code == 401
    clock.advance(timedelta(seconds=30))
    locked = token(client, "dukao1", otp=pyotp.TOTP(secret).at(clock.now()))
    assert locked.status_code == 429 and "Retry-After" in locked.headers


def test_recovery_codes_work_once(strict, runtime, clock):
    client = strict.test_client()
    _, codes = enrol(runtime.ledger, "admin1")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert token(client, "admin1", recovery_code=codes[0]).status_code == 201
    assert token(client, "admin1", recovery_code=codes[0]).status_code == 401
    assert token(client, "admin1", recovery_code=codes[1]).status_code == 201


def test_the_enrolment_page_shows_a_qr_code_served_by_the_app_then_recovery_codes(strict, runtime, clock):
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "office1", "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/2fa")
    assert client.get("/board").status_code == 302, "an enrolment session opens no other page"
    enrolment = client.get("/account/2fa").get_data(as_text=True)
    assert "<svg" in enrolment and "两步验证" in enrolment and "http" not in enrolment.split("<svg", 1)[0][-200:]
    secret = re.search(r"<code>([A-Z2-7]+)</code>", enrolment).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', enrolment).group(1)
    done = client.post("/account/2fa", data={"otp": pyotp.TOTP(secret).at(clock.now()), "csrf_token": csrf})
    assert done.status_code == 200 and "恢复码" in done.get_data(as_text=True)
    clock.advance(timedelta(seconds=30))
    assert token(strict.test_client(), "office1", otp=pyotp.TOTP(secret).at(clock.now())).status_code == 201


# --- sessions, the audit trail, proxies ----------------------------------------------------------------------


def sign_in(client, username):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"})


def test_a_page_session_ends_after_30_idle_minutes_and_shows_the_last_login(app, clock):
    first = app.test_client()
    sign_in(first, "fin")
    clock.advance(timedelta(minutes=5))
    client = app.test_client()
    sign_in(client, "fin")
    board = client.get("/board").get_data(as_text=True)
    assert "上次登录" in board and "10.9.9.9" in board
    clock.advance(timedelta(minutes=29))
    assert client.get("/board").status_code == 200
    clock.advance(timedelta(minutes=31))
    expired = client.get("/board")
    assert expired.status_code == 302 and "expired=1" in expired.headers["Location"]
    assert "30 分钟" in client.get(expired.headers["Location"]).get_data(as_text=True)
    assert client.get("/board").status_code == 302, "the session is gone"


def test_logins_failures_lockouts_and_tokens_reach_the_security_trail_that_only_supervisors_read(api, runtime):
    assert token(api.client, "fin", "wrong password").status_code == 401
    api.token("fin")
    api.call("DELETE", "/api/v1/auth/token", "fin")
    for _ in range(5):
        token(api.client, "edu", "wrong password")
    assert token(api.client, "edu").status_code == 429
    assert api.call("GET", "/api/v1/security-events", "admin1").status_code == 403
    assert api.call("GET", "/api/v1/security-events", "office1").status_code == 403
    seen, after = [], 0
    while True:
        page = api.call("GET", f"/api/v1/security-events?after={after}&limit=3", "dukao1").get_json()
        if not page["events"]:
            break
        seen += page["events"]
        after = page["next_after"]
    kinds = {(e["kind"], e["username"]) for e in seen}
    assert {("login_failed", "fin"), ("login_succeeded", "fin"), ("token_created", "fin"), ("token_revoked", "fin"),
            ("locked_out", "edu")} <= kinds
    assert len({e["position"] for e in seen}) == len(seen)
    from coordination.storage import connect

    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        for statement in ("UPDATE security_events SET username = 'x'", "DELETE FROM security_events",
                          "TRUNCATE security_events"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(statement)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app):
    client = app.test_client()
    for i in range(30):
        assert client.post("/api/v1/auth/token", json={"username": f"nobody{i}", "password": "wrong"},
                           headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"username": "fin", "password": PASSWORD},
                          headers={"X-Forwarded-For": "10.0.1.1"})
    assert blocked.status_code == 429, "every attempt came from the proxy's one address"


def test_with_one_trusted_proxy_the_client_address_comes_from_x_forwarded_for(app, runtime):
    proxied = make_app(runtime, trusted_proxies=1)
    try:
        client = proxied.test_client()
        for i in range(30):
            client.post("/api/v1/auth/token", json={"username": f"nobody{i}", "password": "wrong"},
                        headers={"X-Forwarded-For": "203.0.113.7"})
        assert client.post("/api/v1/auth/token", json={"username": "fin", "password": PASSWORD},
                           headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        other = client.post("/api/v1/auth/token", json={"username": "fin", "password": PASSWORD},
                            headers={"X-Forwarded-For": "198.51.100.8"})
        assert other.status_code == 201, "another client behind the same proxy is not locked out"
    finally:
        proxied.extensions["pool"].close()


def test_the_admin_pages_list_accounts_and_refuse_an_admin_with_a_domain_role(app):
    client = app.test_client()
    assert sign_in(client, "admin1").headers["Location"].endswith("/admin/users")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "账户管理" in page and "fin" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post("/admin/users", data={"username": "boss", "password": "Strong pass 2026", "unit": "gov-office",
                                                "roles": ["admin", "office"], "csrf_token": csrf})
    assert refused.status_code == 422 and "三员分立" in refused.get_data(as_text=True)
    assert client.get("/board").status_code in (302, 403)
    fin = app.test_client()
    sign_in(fin, "fin")
    assert fin.get("/admin/users").status_code == 403
