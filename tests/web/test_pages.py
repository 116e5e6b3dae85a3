"""The pages that exist so far: the home page (zh-CN) and the health check."""

from __future__ import annotations

import pytest

from web import create_app

pytestmark = pytest.mark.db


@pytest.fixture
def client(runtime):
    app = create_app({"TESTING": True, "SETTINGS": runtime.settings, "LEDGER": runtime.ledger})
    return app.test_client()


def test_healthz_answers_ok_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_home_page_shows_the_group_and_its_26_units_in_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "温州市鹿城区公共文化服务体系建设协调组" in page
    assert page.count("<tr><td>") == 26
    assert "区文化和广电旅游体育局" in page
