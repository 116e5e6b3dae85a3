"""The office's pages as a user goes through them: landing by role, 工作台, 成员单位, 议题, 督办台账 and 新建督办任务;
refusals beside the field with the input kept, a double submit recorded once, liaisons refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.page_helpers import beside, sign_in, submit, text, value_of

pytestmark = pytest.mark.db

PLAN = {"source": {"kind": "plan", "reference": "示范区创建工作方案"}, "category": "funding", "co_units": []}


def events(api, type_: str) -> list[dict]:
    return api.call("GET", f"/api/v1/events?type={type_}&limit=1000", "office1").get_json()["events"]


def task(api, title: str, lead: str, deadline: str, **extra) -> str:
    created = api.call("POST", "/api/v1/tasks", "office1", json={**PLAN, "title": title, "lead_unit": lead,
                                                                 "deadline": deadline, **extra})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def test_each_role_lands_on_its_own_page(app):
    for username, landing in (("office1", "/office"), ("dukao1", "/dashboard"), ("fin", "/board"),
                              ("admin1", "/admin/users")):
        response = sign_in(app.test_client(), username)
        assert response.status_code == 302 and response.headers["Location"].endswith(landing), username


def test_the_workbench_shows_what_waits_for_the_office(app, api, clock):
    done = task(api, "出台保障标准", "finance", "2026-06-30")
    later = task(api, "图书馆总分馆建设", "education", "2026-03-20")
    late = task(api, "文化礼堂验收", "housing-construction", "2026-03-03")
    for who, task_id in (("fin", done), ("edu", later), ("housing", late)):
        assert api.call("POST", f"/api/v1/tasks/{task_id}/acknowledgements", who).status_code == 201
    api.call("POST", f"/api/v1/tasks/{done}/completion-request", "fin", json={"summary": "已出台"})
    api.call("POST", f"/api/v1/tasks/{later}/extension-requests", "edu",
             json={"new_deadline": "2026-04-30", "reason": "选址调整"})
    api.call("POST", "/api/v1/topics", "fin", json={"title": "设立专项资金", "background": ""})
    clock.advance(timedelta(days=3))
    office = app.test_client()
    sign_in(office, "office1")
    page = text(office.get("/office"))
    assert "协调组办公室工作台" in page and "查看历史时刻" in page
    assert f'href="/tasks/{done}">出台保障标准</a>(牵头:区财政局)' in page
    assert f'href="/tasks/{later}">图书馆总分馆建设</a>(第 1 次申请)' in page
    assert re.search(rf'href="/tasks/{late}">文化礼堂验收</a></td><td>区住建局</td><td class="red">\d+</td>', page)
    assert "设立专项资金(区财政局提出,待处理)" in page
    assert "已召开并印发纪要 <strong>0</strong> 次" in page and "尚未达到每年至少 1 次的要求" in page
    assert 'href="/board?unit=finance">区财政局</a>' in page
    nav = re.search(r'<nav aria-label="主导航">(.*?)</nav>', page, re.S).group(1)
    for label in ("工作台", "全局看板", "督办台账", "会议", "议定事项", "议题", "成员单位"):
        assert f">{label}<" in nav


def test_the_roster_and_a_change_of_liaison_with_its_reason(app, api):
    office = app.test_client()
    sign_in(office, "office1")
    roster = text(office.get("/roster"))
    assert roster.count('href="/roster/') == 26 and "督查国家公共文化服务体系示范区创建工作责任单位完成任务" in roster
    form = "/roster/finance/liaison"
    refused, _ = submit(office, form, {"name": "", "title": "预算科科长", "phone": "0577-88000000", "reason": "人事调整"})
    assert refused.status_code == 422
    assert beside(text(refused), "name") == "此项不能为空" and value_of(text(refused), "title") == "预算科科长"
    changed, fields = submit(office, form, {"name": "王敏"}, page=text(refused))
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/roster/finance")
    assert office.post(form, data=fields).status_code == 302  # a double click records once
    assert len(events(api, "MemberUnit.LiaisonChanged")) == 1
    unit = text(office.get("/roster/finance"))
    assert "王敏" in unit and "调整联络员" in unit and "人事调整" in unit and "0577-88000000" in unit
    assert "王敏" in text(office.get("/roster"))
    assert office.get("/roster/no-such-unit").status_code == 404
    assert office.get("/roster/finance/treasurer").status_code == 404


def test_topics_are_proposed_accepted_declined_with_a_reason_and_put_on_an_agenda(app, api):
    office = app.test_client()
    sign_in(office, "office1")
    proposed, _ = submit(office, "/topics/new", {"title": "设立专项资金", "background": "示范区要求",
                                                 "proposed_by": "finance"})
    assert proposed.status_code == 302
    api.call("POST", "/api/v1/topics", "edu", json={"title": "延长图书馆开放时间", "background": ""})
    listing = text(office.get("/topics"))
    assert "设立专项资金" in listing and "延长图书馆开放时间" in listing and "待处理(2)" in listing
    (first, second) = [t["aggregate_id"] for t in events(api, "Topic.Proposed")]
    other_tab = text(office.get("/topics"))
    accepted, accept_form = submit(office, "/topics", action=f"/topics/{first}/accept", page=listing)
    assert accepted.status_code == 302
    assert office.post(f"/topics/{first}/accept", data=accept_form).status_code == 302  # the same click again
    assert len(events(api, "Topic.Accepted")) == 1
    stale, _ = submit(office, "/topics", action=f"/topics/{first}/accept", page=other_tab)  # drawn before
    assert stale.status_code == 409 and "该议题已处理,不能再次处理" in text(stale)
    refused, _ = submit(office, f"/topics/{second}/decline", {"reason": "  "})
    assert refused.status_code == 422 and beside(text(refused), "reason") == "此项不能为空"
    declined, _ = submit(office, f"/topics/{second}/decline", {"reason": "属区教育局职责,由其自行研究"},
                         page=text(refused))
    assert declined.status_code == 302
    page = text(office.get("/topics?status=declined"))
    assert "不予采纳:属区教育局职责,由其自行研究" in page
    page = text(office.get("/topics?status=accepted"))
    assert f'href="/meetings/new?topic={first}"' in page
    assert office.get("/topics?status=nonsense").status_code == 404


def test_a_task_is_assigned_with_working_days_milestones_and_co_units(app, api):
    office = app.test_client()
    sign_in(office, "office1")
    form = text(office.get("/tasks/new"))
    assert form.count('<option value="') >= 26 and form.count('type="checkbox" name="co_units"') == 26, "26 units each"
    body = {"source.kind": "plan", "source.reference": "示范区创建工作方案", "title": "", "category": "facilities",
            "lead_unit": "education", "co_units": ["finance", "housing-construction"],
            "deadline_in_working_days": "10", "feedback_every": "month",
            "milestones.0.due": "2026-03-09", "milestones.0.target_percent": "150", "milestones.0.description": "选址"}
    computed, _ = submit(office, "/tasks/new", {**body, "action": "compute"}, page=form)
    assert computed.status_code == 200
    assert "10 个工作日,期限为 2026-03-16(星期一)" in text(computed)
    refused, _ = submit(office, "/tasks/new", {**body, "action": "assign"}, page=text(computed))
    page = text(refused)
    assert refused.status_code == 422 and beside(page, "title") == "此项不能为空"
    assert "0 到 100" in beside(page, "milestones.0.target_percent") and value_of(page, "milestones.0.description") == "选址"
    assert 'name="co_units" value="housing-construction" checked' in page
    created, fields = submit(office, "/tasks/new", {**body, "title": "图书馆总分馆建设",
                                                    "milestones.0.target_percent": "50", "action": "assign"}, page=page)
    assert created.status_code == 302 and re.fullmatch(r".*/tasks/[0-9a-f-]{36}", created.headers["Location"])
    assert office.post("/tasks/new", data=fields).headers["Location"] == created.headers["Location"]
    (state,) = api.call("GET", "/api/v1/tasks", "office1").get_json()
    assert state["deadline"] == "2026-03-16" and state["co_units"] == ["finance", "housing-construction"]
    assert state["milestones"][0]["target_percent"] == 50 and state["feedback_every"] == "month"
    body["milestones.0.target_percent"] = "50"
    both, _ = submit(office, "/tasks/new", {**body, "title": "x", "deadline": "2026-06-30", "action": "assign"})
    assert both.status_code == 422 and "二者选一" in beside(text(both), "deadline")
    no_resolution, _ = submit(office, "/tasks/new", {**body, "title": "x", "source.kind": "resolution",
                                                     "action": "assign"})
    assert beside(text(no_resolution), "source.resolution_id") == "请选择议定事项"


def test_the_register_filters_exports_and_keeps_a_liaison_to_its_own_unit(app, api):
    task(api, "出台保障标准", "finance", "2026-06-30")
    task(api, "图书馆总分馆建设", "education", "2026-06-30", co_units=["finance"])
    task(api, "文化礼堂验收", "housing-construction", "2026-06-30")
    office = app.test_client()
    sign_in(office, "office1")
    page = text(office.get("/tasks"))
    assert "共 3 项" in page and "查看历史时刻" in page and 'href="/tasks/export.xlsx"' in page
    page = text(office.get("/tasks?unit=finance&role=co"))
    assert "共 1 项" in page and "图书馆总分馆建设" in page and "unit=finance" in page
    bad = office.get("/tasks?status=lost")
    assert bad.status_code == 422 and beside(text(bad), "status") == "请从给出的选项中选择"
    sheet = office.get("/tasks/export.xlsx?unit=finance")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    liaison = app.test_client()
    sign_in(liaison, "housing")
    own = text(liaison.get("/tasks"))
    assert "文化礼堂验收" in own and "出台保障标准" not in own and 'name="unit"' not in own
    assert liaison.get("/tasks?unit=finance").status_code == 403
    assert liaison.get("/tasks/export.xlsx?unit=finance").status_code == 403


def test_a_liaison_is_refused_every_office_page(app, api):
    liaison = app.test_client()
    sign_in(liaison, "fin")
    for path in ("/office", "/roster", "/roster/finance", "/roster/finance/liaison", "/topics", "/topics/new",
                 "/tasks/new", "/tasks/new?resolution=x"):
        response = liaison.get(path)
        assert response.status_code == 403 and "无权访问" in text(response), path
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(liaison.get("/board"))).group(1)
    refused = liaison.post("/roster/education/member", data={"csrf_token": token, "name": "张三", "title": "局长",
                                                             "reason": "冒名"})
    assert refused.status_code == 403 and events(api, "MemberUnit.MemberChanged") == []
    supervisor = app.test_client()
    sign_in(supervisor, "dukao1")
    assert supervisor.get("/office").status_code == 403 and supervisor.get("/roster").status_code == 200
    assert "调整联络员" not in text(supervisor.get("/roster/finance"))
