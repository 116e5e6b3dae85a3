"""The pages as people use them, in a real browser: Chinese, for the role, past views marked, accessible."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

TASK = {"title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"}


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_a_liaison_sees_its_own_board_in_chinese_and_never_another_units(server, signed_in):
    assert server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "出台保障标准"})[0] == 201
    page = signed_in("fin")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="区财政局 · 督办看板").is_visible()
    assert page.get_by_role("cell", name="出台保障标准", exact=True).is_visible()
    assert page.get_by_text("fin · 区财政局 · 成员单位联络员").is_visible()
    assert page.get_by_role("link", name="工作台").count() == 0, "the office's pages are not in a liaison's navigation"
    assert serious_violations(page) == []
    page.goto(server.base + "/board?unit=education")
    assert page.get_by_role("heading", name="无权访问").is_visible()
    page.goto(server.base + "/dashboard")
    assert page.get_by_role("heading", name="无权访问").is_visible()


def test_the_office_works_from_the_dashboard_and_looks_back_in_time(server, signed_in):
    status, task, _ = server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "测算保障资金"})
    assert status == 201
    page = signed_in("office1")
    page.get_by_role("link", name="工作台").click()
    assert page.get_by_role("heading", name="工作台").is_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="区财政局").click()
    assert page.get_by_role("heading", name="区财政局 · 督办看板").is_visible()
    assert page.get_by_role("row", name="测算保障资金").get_by_role("cell", name="待签收").is_visible()
    page.get_by_label("查看历史时刻").fill("2026-03-01T09:00")
    page.get_by_role("form", name="选择历史时刻").get_by_role("button", name="查看").click()
    assert page.get_by_text("这是历史视图").is_visible()
    assert page.get_by_role("cell", name="暂无督办事项").is_visible(), "before the task was assigned"
    assert serious_violations(page) == []


def test_the_pages_fit_a_phone(server, signed_in):
    page = signed_in("office1", viewport=(375, 740))
    page.goto(server.base + "/dashboard")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"
    page.goto(server.base + "/board?unit=finance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
