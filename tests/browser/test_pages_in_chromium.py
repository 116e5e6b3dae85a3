"""The pages as people use them, in a real browser: Chinese, for the role, past views marked, accessible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations

pytestmark = pytest.mark.db

TASK = {"title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"}


def test_a_liaison_sees_its_own_board_in_chinese_and_never_another_units(server, signed_in):
    assert server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "出台保障标准"})[0] == 201
    page = signed_in("fin")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_role("heading", name="区财政局 · 督办看板")).to_be_visible()
    expect(page.get_by_role("link", name="出台保障标准", exact=True)).to_be_visible()
    expect(page.get_by_text("fin · 区财政局 · 成员单位联络员")).to_be_visible()
    assert page.get_by_role("link", name="工作台").count() == 0, "the office's pages are not in a liaison's navigation"
    assert serious_violations(page) == []
    page.goto(server.base + "/board?unit=education")
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    page.goto(server.base + "/dashboard")
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
def test_the_office_works_from_the_dashboard_and_looks_back_in_time(server, signed_in):
    status, task, _ = server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "测算保障资金"})
    assert status == 201
    page = signed_in("office1")
    page.get_by_role("link", name="全局看板").click()
    expect(page.get_by_role("heading", name="全局看板")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="区财政局").click()
    expect(page.get_by_role("heading", name="区财政局 · 督办看板")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^待签收"))).to_be_visible()
    expect(page.get_by_role("link", name="测算保障资金")).to_be_visible()
    page.get_by_label("查看历史时刻").fill("2026-03-01T09:00")
    page.get_by_role("form", name="选择历史时刻").get_by_role("button", name="查看").click()
    expect(page.get_by_text("这是历史视图")).to_be_visible()
    expect(page.get_by_text("暂无督办事项"), "before the task was assigned").to_be_visible()
    assert serious_violations(page) == []


def test_the_pages_fit_a_phone(server, signed_in):
    page = signed_in("office1", viewport=(375, 740))
    page.goto(server.base + "/dashboard")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"
    page.goto(server.base + "/board?unit=finance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_liaison_opens_a_task_from_its_board_acknowledges_and_reports_with_a_file(server, signed_in, tmp_path):
    status, task, _ = server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "建立经费保障机制"})
    assert status == 201
    page = signed_in("fin")
    page.get_by_role("link", name="建立经费保障机制").click()
    expect(page.get_by_role("heading", name="建立经费保障机制")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("summary", has_text="签收").click()
    page.get_by_role("button", name="签收").click()
    expect(page.get_by_text("已签收。")).to_be_visible()
    page.locator("summary", has_text="反馈进展").click()
    form = page.locator("details[open]")
    form.get_by_label("完成进度(%)").fill("30")
    form.get_by_label("进展情况").fill("已完成资金测算")
    evidence = tmp_path / "测算表.txt"
    evidence.write_text("测算数据", encoding="utf-8")
    form.get_by_label("佐证材料(可多选)").set_input_files(str(evidence))
    form.get_by_role("button", name="反馈进展").click()
    expect(page.get_by_text("进展已报送。")).to_be_visible()
    expect(page.get_by_role("link", name="测算表.txt")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="本单位").click()
    expect(page.get_by_role("heading", name="本单位:区财政局")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="提出议题").click()
    page.get_by_label("议题名称").fill("建立场馆免费开放经费保障机制")
    page.get_by_role("button", name="提交议题").click()
    expect(page.get_by_text("议题已提交")).to_be_visible()
    assert serious_violations(page) == []


def test_the_task_page_fits_a_phone(server, signed_in):
    status, task, _ = server("POST", "/api/v1/tasks", "office1", {**TASK, "title": "手机上查看的事项"})
    assert status == 201
    page = signed_in("office1", viewport=(375, 740))
    page.goto(server.base + f"/tasks/{task['id']}")
    expect(page.get_by_role("heading", name="手机上查看的事项")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
