"""The office's meeting pages as a user goes through them: schedule with a topic, attendance, minutes with a
dissenting item, issue after confirmation, correction; the chain 会议 → 议定事项 → 任务; refusals in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from domain.deadlines import SHANGHAI
from tests.web.page_helpers import beside, sign_in, submit, text, value_of

pytestmark = pytest.mark.db


def events(api, type_: str) -> list[dict]:
    return api.call("GET", f"/api/v1/events?type={type_}&limit=1000", "office1").get_json()["events"]


def schedule(client, api, title="2026年第一次全体会议", topics=()):
    response, _ = submit(client, "/meetings/new", {"kind": "plenary", "title": title, "date": "2026-03-02",
                                                     "location": "区行政中心 301 会议室", "chair": "召集人",
                                                     "topics": list(topics)})
    assert response.status_code == 302, text(response)
    return response.headers["Location"]


def test_a_plenary_from_scheduling_to_issued_minutes_and_its_chain_to_tasks(app, api, clock):
    topic = api.call("POST", "/api/v1/topics", "fin", json={"title": "保障机制", "background": "示范区要求"}).get_json()
    office = app.test_client()
    assert sign_in(office, "office1").headers["Location"].endswith("/office")
    submit(office, "/topics", action=f"/topics/{topic['id']}/accept")
    form = text(office.get(f"/meetings/new?topic={topic['id']}"))
    assert "保障机制(区财政局)" in form and re.search(rf'<option value="{topic["id"]}" selected>', form)
    meeting_url = schedule(office, api, topics=[topic["id"]])
    page = text(office.get(meeting_url))
    assert "2026年第一次全体会议" in page and "已安排" in page and "保障机制" in page and "查看历史时刻" in page
    scheduled_at = clock.now()
    clock.advance(timedelta(minutes=5))

    # 出席情况: an absence without a reason is refused beside that unit's reason, the choices kept
    choices = {f"attendance-{code}": "present" for code in ("finance", "education", "culture-tourism")}
    refused, _ = submit(office, f"{meeting_url}/attendance", {**choices, "attendance-statistics": "absent",
                                                               "reason-statistics": "", "invited": "市文广旅局 张三"})
    assert refused.status_code == 422
    assert beside(text(refused), "reason-statistics") == "此项不能为空"
    assert re.search(r'name="attendance-statistics"[^>]*>\s*<option value="present">出席</option>\s*<option value="absent" selected>',
                     text(refused))
    assert "市文广旅局 张三" in text(refused)
    recorded, _ = submit(office, f"{meeting_url}/attendance", {**choices, "attendance-statistics": "absent",
                                                                "reason-statistics": "出差", "invited": "市文广旅局 张三"},
                         page=text(refused))
    assert recorded.status_code == 302
    page = text(office.get(meeting_url))
    assert "区统计局(出差)" in page and "市文广旅局 张三" in page and "已召开" in page

    # 会议纪要: a second item row on request; a dissenting item cannot be agreed (第八条)
    editor = text(office.get(f"{meeting_url}/minutes"))
    more, _ = submit(office, f"{meeting_url}/minutes", {"action": "add_item"}, page=editor)
    assert more.status_code == 200 and 'name="items.1.title"' in text(more)
    with_dissent, _ = submit(office, f"{meeting_url}/minutes", {"action": "add_dissent-1"}, page=text(more))
    assert 'name="items.1.dissent.0.opinion"' in text(with_dissent)
    draft = {"number": "鹿文协纪〔2026〕1号", "summary": "会议研究了示范区创建工作。",
             "items.0.title": "保障机制", "items.0.text": "财政局牵头制定保障标准", "items.0.category": "funding",
             "items.0.outcome": "agreed",
             "items.1.title": "人员下派", "items.1.text": "再议", "items.1.category": "talent", "items.1.outcome": "agreed",
             "items.1.dissent.0.unit": "staffing-office", "items.1.dissent.0.opinion": "编制不足", "action": "save"}
    refused, _ = submit(office, f"{meeting_url}/minutes", draft, page=text(with_dissent))
    assert refused.status_code == 422
    assert "有不同意见的事项不能记为议定" in beside(text(refused), "items.1.outcome")
    assert value_of(text(refused), "items.1.title") == "人员下派" and "编制不足" in text(refused)
    saved, _ = submit(office, f"{meeting_url}/minutes", {**draft, "items.1.outcome": "deferred"}, page=text(refused))
    assert saved.status_code == 302
    page = text(office.get(meeting_url))
    assert "纪要起草中" in page and "不同意见:区委编办——编制不足" in page and "印发纪要" in page

    stale_editor = text(office.get(f"{meeting_url}/minutes"))  # left open in another tab

    # 印发: only after an explicit confirmation; then the agreed item is a resolution
    confirm = text(office.get(f"{meeting_url}/issue"))
    assert "确认印发" in confirm and "成为议定事项" in confirm and "不形成议定事项" in confirm
    unconfirmed, _ = submit(office, f"{meeting_url}/issue", {}, page=confirm)
    assert unconfirmed.status_code == 422 and beside(text(unconfirmed), "confirm") == "请勾选确认后再印发"
    assert events(api, "Meeting.MinutesIssued") == []
    issued, fields = submit(office, f"{meeting_url}/issue", {"confirm": "yes"}, page=confirm)
    assert issued.status_code == 302
    again = office.post(f"{meeting_url}/issue", data=fields)  # a double click: the same form once more
    assert again.status_code == 302 and len(events(api, "Meeting.MinutesIssued")) == 1
    page = text(office.get(meeting_url))
    assert "纪要已印发" in page and "第 1 项:保障机制〔投入保障机制〕" in page and "尚未分解为督办任务" in page

    # issued minutes never change: the editor's form answers 409 with the reason; a correction is recorded beside
    assert "纪要已印发,不能再修改" in text(office.get(f"{meeting_url}/minutes"))
    frozen, _ = submit(office, f"{meeting_url}/minutes", {"summary": "改动"}, page=stale_editor)
    assert frozen.status_code == 409 and "纪要已印发,只能通过更正记录修改" in text(frozen)
    missing, _ = submit(office, f"{meeting_url}/correction", {"correction": "配合单位增加区教育局", "reason": ""})
    assert missing.status_code == 422 and beside(text(missing), "reason") == "此项不能为空"
    assert "配合单位增加区教育局" in text(missing)
    corrected, _ = submit(office, f"{meeting_url}/correction", {"correction": "配合单位增加区教育局", "reason": "遗漏"},
                          page=text(missing))
    assert corrected.status_code == 302 and "配合单位增加区教育局(理由:遗漏)" in text(office.get(meeting_url))

    # the chain: meeting → resolution → task, and back from the register
    (resolution,) = api.call("GET", "/api/v1/resolutions", "office1").get_json()
    assert f"/tasks/new?resolution={resolution['id']}" in text(office.get(meeting_url))
    created, _ = submit(office, f"/tasks/new?resolution={resolution['id']}",
                        {"lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"},
                        action="/tasks/new")
    assert created.status_code == 302
    task_path = created.headers["Location"]
    page = text(office.get(meeting_url))
    assert f'href="{task_path}"' in page and "保障机制" in page
    register = text(office.get("/resolutions"))
    assert f'href="{task_path}"' in register and "鹿文协纪〔2026〕1号 第 1 项" in register and meeting_url in register

    # 查看历史时刻: the meeting as it stood when scheduled
    local = scheduled_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    past = text(office.get(meeting_url, query_string={"as_of": local}))
    assert "这是历史视图" in past and "已安排" in past and "纪要已印发" not in past and "尚未记录" in past
    listing = text(office.get("/meetings"))
    assert "2026年第一次全体会议" in listing and "鹿文协纪〔2026〕1号" in listing


def test_scheduling_refusals_keep_the_input_and_a_double_submit_schedules_once(app, api):
    office = app.test_client()
    sign_in(office, "office1")
    refused, _ = submit(office, "/meetings/new", {"kind": "office", "title": "", "date": "2026-03-05",
                                                  "location": "二楼会议室", "chair": "办公室主任"})
    assert refused.status_code == 422
    page = text(refused)
    assert beside(page, "title") == "此项不能为空" and value_of(page, "location") == "二楼会议室"
    assert re.search(r'<option value="office" selected>', page)
    bad_date, _ = submit(office, "/meetings/new", {"kind": "office", "title": "工作会议", "date": "2026-02-30",
                                                   "location": "二楼会议室", "chair": "办公室主任"}, page=page)
    assert bad_date.status_code == 422 and "有效日期" in beside(text(bad_date), "date")
    body = {"kind": "office", "title": "办公室成员工作会议", "date": "2026-03-05", "location": "二楼会议室",
            "chair": "办公室主任"}
    first, fields = submit(office, "/meetings/new", body, page=text(bad_date))
    second = office.post("/meetings/new", data=fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(events(api, "Meeting.Scheduled")) == 1
    early, _ = submit(office, f"{first.headers['Location']}/attendance", {"attendance-finance": "present"})
    assert early.status_code == 409 and "会议尚未召开" in text(early)


def test_a_liaison_is_refused_the_meeting_pages_and_a_supervisor_reads_without_actions(app, api):
    office = app.test_client()
    sign_in(office, "office1")
    meeting_url = schedule(office, api)
    liaison = app.test_client()
    sign_in(liaison, "fin")
    for path in ("/meetings", "/meetings/new", meeting_url, f"{meeting_url}/attendance", f"{meeting_url}/minutes",
                 f"{meeting_url}/issue", f"{meeting_url}/correction", "/resolutions"):
        response = liaison.get(path)
        assert response.status_code == 403 and "无权访问" in text(response), path
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(liaison.get("/board"))).group(1)
    assert liaison.post(f"{meeting_url}/issue", data={"confirm": "yes", "csrf_token": token}).status_code == 403
    assert events(api, "Meeting.MinutesIssued") == []
    supervisor = app.test_client()
    assert sign_in(supervisor, "dukao1").headers["Location"].endswith("/dashboard")
    page = text(supervisor.get(meeting_url))
    assert "2026年第一次全体会议" in page and "记录出席情况" not in page
    assert supervisor.get(f"{meeting_url}/attendance").status_code == 403
    assert office.get("/meetings/not-a-meeting").status_code == 404
    assert office.get("/meetings/00000000-0000-0000-0000-000000000000").status_code == 404
