"""The supervisors' pages: the 全局看板, the audit log (paging that never skips), 督查催办, and issuing the
half-yearly report with a confirmation step."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from tests.web.test_pages import csrf_token, sign_in

pytestmark = pytest.mark.db

TASK = {"source": {"kind": "plan", "reference": "方案"}, "category": "funding", "co_units": ["education"]}


@pytest.fixture
def world(app, api, clock):
    """Six tasks: finance leads four (one overdue and urged, one answered), housing one, education one."""
    ids = {}
    for title, lead, deadline in [("测算保障资金", "finance", "2026-03-20"), ("出台保障标准", "finance", "2026-06-30"),
                                  ("建设文化礼堂", "housing-construction", "2026-03-04"),
                                  ("培训文化人才", "education", "2026-12-31"), ("补助乡镇文化站", "finance", "2026-04-30"),
                                  ("统计文化投入", "finance", "2026-09-30")]:
        response = api.call("POST", "/api/v1/tasks", "office1", json={
            **TASK, "title": title, "lead_unit": lead, "deadline": deadline,
            "co_units": [] if lead == "education" else ["education"]})
        assert response.status_code == 201, response.get_json()
        ids[title] = response.get_json()["id"]
    assert api.call("POST", f"/api/v1/tasks/{ids['测算保障资金']}/acknowledgements", "fin").status_code in (200, 201)
    clock.advance(timedelta(days=30))  # 2026-04-01: 测算保障资金 and 建设文化礼堂 are overdue
    api.tokens.clear()  # the tokens of a month ago have expired
    for title, message in [("测算保障资金", "请抓紧办理"), ("补助乡镇文化站", "请尽快签收")]:
        assert api.call("POST", f"/api/v1/tasks/{ids[title]}/urgings", "dukao1",
                        json={"message": message}).status_code in (200, 201)
    assert api.call("POST", f"/api/v1/tasks/{ids['测算保障资金']}/urging-replies", "fin",
                    json={"text": "已在办理"}).status_code == 201
    return ids


def signed_in_client(app, username):
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_the_supervisor_lands_on_the_global_board_with_26_units_counts_lights_and_links(app, world):
    client = app.test_client()
    response = sign_in(client, "dukao1")
    assert response.headers["Location"].endswith("/dashboard")
    page = text_of(client.get("/dashboard"))
    assert "<h1>全局看板</h1>" in page and 'lang="zh-CN"' in page
    rows = re.findall(r'<tr><th scope="row"><a href="/board\?unit=([a-z-]+)">', page)
    assert len(rows) == 26 and "finance" in rows
    finance = page.split('href="/board?unit=finance"')[1].split("</tr>")[0]
    cells = re.findall(r'<td class="n[^"]*">(\d*)</td>', finance)
    # 待签收 3, 办理中 1, 待审核办结 0, 已办结 0, 已撤销 0, 在办 4, 红 1, 黄 "", 绿 ..., 超期 1, 被催办 2
    assert cells[:6] == ["3", "1", "0", "0", "0", "4"]
    assert cells[-2:] == ["1", "2"]
    assert "全局看板" in page and "审计日志" in page and "督查催办" in page, "the supervisor's navigation"
    earlier = text_of(client.get("/dashboard?as_of=2026-03-01T09:00"))
    assert "这是历史视图" in earlier and 'href="/board?unit=finance&amp;as_of=2026-03-01T09:00"' in \
        client.get("/dashboard?as_of=2026-03-01T09:00").get_data(as_text=True)


def test_the_urging_list_shows_overdue_red_yellow_and_unanswered_with_links(app, world):
    client = signed_in_client(app, "dukao1")
    page = text_of(client.get("/supervision"))
    assert "<h1>督查催办</h1>" in page
    assert f'href="/tasks/{world["建设文化礼堂"]}"' in page and f'href="/tasks/{world["测算保障资金"]}"' in page
    assert f'href="/tasks/{world["补助乡镇文化站"]}"' in page, "urged and not answered"
    assert "培训文化人才" not in page and "统计文化投入" not in page, "green and never urged"
    assert page.index("建设文化礼堂") < page.index("测算保障资金"), "the longest overdue first"
    assert "1 次未回复" in page
    assert signed_in_client(app, "fin").get("/supervision").status_code == 403


def audit_positions(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<td class="pos">(\d+)</td>', html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return unescape(found.group(1)) if found else None


def test_the_audit_log_pages_backwards_and_forwards_without_skipping_anything(app, api, world):
    every = []
    after = 0
    while True:
        body = api.call("GET", f"/api/v1/events?after={after}&limit=1000", "dukao1").get_json()
        if not body["events"]:
            break
        every += [e["position"] for e in body["events"]]
        after = body["next_after"]
    assert len(every) > 20
    client = signed_in_client(app, "dukao1")
    seen, url = [], "/audit?limit=7"
    while url:  # from the newest page back to the first
        html = client.get(url).get_data(as_text=True)
        page = audit_positions(html)
        assert page == sorted(page, reverse=True) and 0 < len(page) <= 7
        seen += page
        url = link(html, "next")
    assert seen == sorted(every, reverse=True)
    seen, url = [], "/audit?limit=7&after=0"
    while url:  # and from the first forwards to the newest
        html = client.get(url).get_data(as_text=True)
        seen += sorted(audit_positions(html))
        url = link(html, "prev")
    assert seen == every


def test_the_audit_log_filters_by_unit_type_object_and_period_in_chinese(app, api, world):
    client = signed_in_client(app, "dukao1")
    page = text_of(client.get("/audit?type=Task.Urged"))
    assert page.count('<td class="pos">') == 2 and "催办" in page and "请抓紧办理" in page
    assert f'<a href="/tasks/{world["测算保障资金"]}">测算保障资金</a>' in page
    assert "dukao1" in page and "区督考办" in page
    task = world["建设文化礼堂"]
    by_object = api.call("GET", f"/api/v1/events?aggregate_id={task}", "dukao1").get_json()["events"]
    page = text_of(client.get(f"/audit?aggregate={task}"))
    assert audit_positions(page) == sorted((e["position"] for e in by_object), reverse=True)
    assert "交办督办事项" in page
    housing = text_of(client.get("/audit?unit=housing-construction&type=Task.Assigned"))
    assert housing.count('<td class="pos">') == 1 and "建设文化礼堂" in housing
    assert audit_positions(text_of(client.get("/audit?since=2026-04-01&until=2026-04-01&type=Task.Urged"))) != []
    assert audit_positions(text_of(client.get("/audit?until=2026-03-31&type=Task.Urged"))) == []
    refused = client.get("/audit?aggregate=not-a-uuid&since=2026-13-01")
    assert refused.status_code == 422
    html = text_of(refused)
    assert "编号格式不正确" in html and "请填写有效日期" in html and 'value="not-a-uuid"' in html
    assert signed_in_client(app, "fin").get("/audit").status_code == 403


def issue_form(client, period="2026H1"):
    html = client.get(f"/reports/{period}").get_data(as_text=True)
    return csrf_token(html), re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def test_the_report_is_issued_only_after_confirmation_and_once_even_on_a_double_click(app, api, world):
    client = signed_in_client(app, "dukao1")
    page = text_of(client.get("/reports/2026H1"))
    assert "预览并确认印发" in page and "<svg" in page and "查看历史时刻" in page
    token, key = issue_form(client)
    empty = client.post("/reports/2026H1/issue", data={"csrf_token": token, "form_key": key, "narrative": ""})
    assert empty.status_code == 422 and '<span class="error" id="e-narrative">此项不能为空</span>' in text_of(empty)
    narrative = "上半年协调机制运转总体平稳。"
    preview = client.post("/reports/2026H1/issue", data={"csrf_token": token, "form_key": key, "narrative": narrative})
    assert preview.status_code == 200 and "确认印发" in text_of(preview) and narrative in text_of(preview)
    assert api.call("GET", "/api/v1/reports/supervision/2026H1/issued", "dukao1").status_code == 404, "not yet"
    back = client.post("/reports/2026H1/issue", data={"csrf_token": token, "form_key": key, "narrative": narrative,
                                                      "step": "edit"})
    assert back.status_code == 200 and f">{narrative}</textarea>" in text_of(back), "the narrative kept"
    confirmed = {"csrf_token": token, "form_key": key, "narrative": narrative, "step": "issue"}
    first = client.post("/reports/2026H1/issue", data=confirmed)
    again = client.post("/reports/2026H1/issue", data=confirmed)  # the double click
    assert first.status_code == 303 and again.status_code == 303
    issued = api.call("GET", "/api/v1/reports/supervision/2026H1/issued", "dukao1")
    assert issued.status_code == 200
    events = api.call("GET", "/api/v1/events?type=SupervisionReport.Issued", "dukao1").get_json()["events"]
    assert len(events) == 1, "recorded once"
    page = text_of(client.get("/reports/2026H1"))
    assert issued.headers["X-Content-SHA256"] in page and f"<strong>{issued.headers['X-Log-Position']}</strong>" in page
    assert "预览并确认印发" not in page and narrative in page
    for fmt in ("docx", "xlsx", "pdf"):
        assert f"/reports/2026H1/issued/export.{fmt}" in page
    refused = client.post("/reports/2026H1/issue", data={**confirmed, "form_key": "page:another-form"})
    assert refused.status_code == 409 and "同一报告期只能印发一次" in text_of(refused)


def test_only_a_supervisor_issues_and_the_office_sees_no_issue_form(app, world):
    client = signed_in_client(app, "office1")
    page = text_of(client.get("/reports/2026H1"))
    assert "预览并确认印发" not in page and "由督查人员印发" in page
    token = csrf_token(page)
    response = client.post("/reports/2026H1/issue", data={"csrf_token": token, "narrative": "x", "step": "issue"})
    assert response.status_code == 403 and "无权访问" in text_of(response)


def test_the_report_as_of_an_earlier_instant_is_marked_as_past(app, world):
    client = signed_in_client(app, "dukao1")
    page = text_of(client.get("/reports/2026H1?as_of=2026-03-01T12:00"))
    assert "这是历史视图" in page and "2026年3月1日" in page
