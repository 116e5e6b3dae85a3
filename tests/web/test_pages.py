"""The pages that exist so far: the home page (zh-CN) and the health check."""

from __future__ import annotations

import dataclasses

import pytest

from tests.web.conftest import shared_app

pytestmark = pytest.mark.db


@pytest.fixture
def client(runtime):
    settings = dataclasses.replace(runtime.settings, schema=runtime.schema)
    app = shared_app(settings, runtime.ledger)
    yield app.test_client()
    app.extensions["pool"].close()


def test_healthz_answers_ok_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_the_home_page_shows_the_group_and_its_26_units_in_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "温州市鹿城区公共文化服务体系建设协调组" in page
    assert page.count("<tr><td>") == 26
    assert "区文化和广电旅游体育局" in page


# --- sessions, CSRF and the board page (use the app and users of tests/web/conftest.py) ---------------

import re  # noqa: E402

from tests.web.conftest import PASSWORD  # noqa: E402


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    form = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(form)})


def test_a_login_form_without_its_csrf_token_is_refused(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "fin", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/board").status_code == 302, "no session was made"


def test_login_makes_a_new_httponly_samesite_session_and_shows_the_units_board_in_chinese(app, api):
    api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-06-30"})
    client = app.test_client()
    client.set_cookie("session", "planted-by-an-attacker")
    response = sign_in(client, "fin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/board")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "planted-by-an-attacker" not in cookie
    page = client.get("/board").get_data(as_text=True)
    assert "区财政局 · 督办看板" in page and "出台保障标准" in page and "待签收" in page and "牵头" in page
    assert client.get("/board?unit=education").status_code == 403


def test_a_wrong_password_on_the_page_says_so_in_chinese(app):
    response = sign_in(app.test_client(), "fin", "wrong password")
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)


def test_logout_needs_the_csrf_token_and_ends_the_session(app):
    client = app.test_client()
    sign_in(client, "office1")
    assert client.post("/logout").status_code == 400
    page = client.get("/board?unit=education").get_data(as_text=True)
    assert "区教育局 · 督办看板" in page
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get("/board").status_code == 302


def test_errors_on_pages_are_chinese_pages_not_json(app):
    client = app.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert '<html lang="zh-CN">' in missing.get_data(as_text=True) and "页面不存在" in missing.get_data(as_text=True)
    sign_in(client, "edu")
    other_unit = client.get("/board?unit=finance")
    assert other_unit.status_code == 403 and "无权访问" in other_unit.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 403
    bad_instant = client.get("/board?as_of=not-a-time")
    assert bad_instant.status_code == 422 and "填写有误" in bad_instant.get_data(as_text=True)
    api_missing = app.test_client().get("/api/v1/no-such-thing")
    assert api_missing.status_code == 404 and api_missing.get_json()["code"] == 404, "the API keeps its JSON"


def test_the_office_sees_its_name_unit_role_navigation_and_the_dashboard(app, api):
    api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-03-03"})
    client = app.test_client()
    sign_in(client, "office1")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "office1 · 区文化和广电旅游体育局 · 协调组办公室" in page
    assert ">工作台<" in page and ">督办看板<" in page
    assert "区财政局" in page and "待审核办结" in page and "查看历史时刻" in page


def test_a_board_as_of_an_earlier_instant_shows_the_earlier_state_marked_as_past(app, api, clock):
    from datetime import timedelta

    created = api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-06-30"})
    before = clock.now()
    clock.advance(timedelta(hours=2))
    assert api.call("POST", f"/api/v1/tasks/{created.get_json()['id']}/acknowledgements", "fin").status_code == 201
    client = app.test_client()
    sign_in(client, "fin")
    now = client.get("/board").get_data(as_text=True)
    assert "办理中" in now and "这是历史视图" not in now
    local = before.astimezone(__import__("domain.deadlines", fromlist=["SHANGHAI"]).SHANGHAI)
    past = client.get("/board", query_string={"as_of": local.strftime("%Y-%m-%dT%H:%M")}).get_data(as_text=True)
    assert "这是历史视图" in past and "<h2>待签收(1)</h2>" in past
