"""The task page and its forms as people use them: each action through the page, refusals beside the field,
a 409 page with its reason, one record for a double submit, and another unit's task and files out of sight."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.db


# --- helpers: a person with a browser ----------------------------------------------------------------------

def sign_in(app, username: str):
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    assert client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form key, …) of the form that posts to `action` on the page."""
    found = re.search(r'<form method="post" action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form posting to {action}"
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1))}


def submit(client, task_id: str, action: str, fields: dict | None = None, *, page: str | None = None, **kwargs):
    path = f"/tasks/{task_id}/{action}"
    page = page or client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return client.post(path, data={**form_of(page, path), **(fields or {})}, **kwargs)


def assign(api, lead: str = "finance", co: list[str] | None = None, deadline: str = "2026-06-30") -> str:
    created = api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台基本公共文化服务保障标准", "source": {"kind": "plan", "reference": "鹿城区文化发展规划"},
        "category": "funding", "lead_unit": lead, "co_units": co or [], "deadline": deadline,
        "milestones": [{"due": "2026-04-30", "target_percent": 50, "description": "完成测算"}]
        if deadline > "2026-04-30" else []})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def events_of(api, task_id: str) -> list[str]:
    return [e["type"] for e in api.call("GET", f"/api/v1/tasks/{task_id}/history", "office1").get_json()]


# --- the liaison's daily work -------------------------------------------------------------------------------

def test_a_liaison_acknowledges_reports_with_files_and_asks_for_completion_through_the_page(app, api):
    task_id = assign(api, co=["education"])
    fin = sign_in(app, "fin")
    page = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "出台基本公共文化服务保障标准" in page
    assert "工作方案:鹿城区文化发展规划" in page and "区财政局" in page and "区教育局" in page
    assert "待签收" in page and "剩余" in page and "完成测算" in page, "status, days left, milestones"
    assert "查看历史时刻" in page
    assert ">签收<" in page and "反馈进展" not in page, "only what the state allows"

    done = submit(fin, task_id, "acknowledge", page=page)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/tasks/{task_id}")
    page = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "已签收。" in page and "办理中" in page and ">签收<" not in page

    reported = submit(fin, task_id, "report-progress", {
        "percent": "40", "text": "已完成测算",
        "files": [(io.BytesIO("测算数据".encode()), "测算表.xlsx"), (io.BytesIO(b"%PDF-1.4 plan"), "工作方案.pdf")]},
        page=page, content_type="multipart/form-data")
    assert reported.status_code == 302
    page = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "进展已报送。" in page and "反馈进展 40%:已完成测算" in page and "40%" in page
    link = re.search(r'href="(/files/[0-9a-f]{64})"[^>]*>测算表.xlsx<', page).group(1)
    download = fin.get(link)
    assert download.status_code == 200 and download.data == "测算数据".encode()
    assert f"filename*=UTF-8''{quote('测算表.xlsx')}" in download.headers["Content-Disposition"]
    office = sign_in(app, "office1")
    assert office.get(link).status_code == 200, "whoever may read the task may read its evidence"

    asked = submit(fin, task_id, "request-completion", {
        "summary": "标准已印发", "files": [(io.BytesIO(b"%PDF-1.4 standard"), "保障标准.pdf")]},
        content_type="multipart/form-data")
    assert asked.status_code == 302
    page = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "办结申请已提交,等待审核。" in page and "待审核办结" in page and "保障标准.pdf" in page
    assert events_of(api, task_id)[-1] == "Task.CompletionRequested"


def test_extension_urging_reply_comment_and_the_offices_decisions_through_the_page(app, api):
    task_id = assign(api, co=["education"])
    fin, office, supervisor = sign_in(app, "fin"), sign_in(app, "office1"), sign_in(app, "dukao1")
    assert submit(fin, task_id, "acknowledge").status_code == 302
    assert submit(fin, task_id, "request-extension", {"new_deadline": "2026-08-31", "reason": "等待市级标准"}
                  ).status_code == 302

    page = office.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "延期申请待审批" in page and "审批延期" in page and "等待市级标准" in page
    assert submit(office, task_id, "decide-extension", {"approved": "true", "comment": "同意"}, page=page
                  ).status_code == 302
    assert "2026-08-31" in office.get(f"/tasks/{task_id}").get_data(as_text=True)

    assert submit(supervisor, task_id, "urge", {"message": "请加快进度"}).status_code == 302
    assert submit(supervisor, task_id, "comment", {"text": "测算口径需统一"}).status_code == 302
    assert submit(fin, task_id, "reply-to-urging", {"text": "本周内报送"}).status_code == 302
    assert submit(fin, task_id, "request-completion", {"summary": "已完成"}, content_type="multipart/form-data"
                  ).status_code == 302
    returned = submit(office, task_id, "decide-completion", {"accepted": "false", "comment": "缺少印发文件"})
    assert returned.status_code == 302
    page = office.get(f"/tasks/{task_id}").get_data(as_text=True)
    for line in ("同意第 1 次延期申请:同意", "催办:请加快进度", "督查意见:测算口径需统一", "催办回复:本周内报送",
                 "退回办结申请:缺少印发文件", "办结申请已审核。"):
        assert line in page, line

    assert submit(office, task_id, "reassign", {"lead_unit": "finance", "co_units": ["housing-construction"],
                                                "reason": "调整配合单位"}).status_code == 302
    assert submit(office, task_id, "cancel", {"reason": "并入市级任务"}).status_code == 302
    page = office.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "已撤销" in page and "撤销:并入市级任务" in page and "区住建局" in page
    assert "<summary>催办</summary>" not in page, "a closed task offers no urging"
    assert "<summary>督查意见</summary>" in supervisor.get(f"/tasks/{task_id}").get_data(as_text=True)


# --- refusals -----------------------------------------------------------------------------------------------

def test_a_refused_field_is_explained_beside_it_and_the_input_is_kept(app, api):
    task_id = assign(api)
    fin = sign_in(app, "fin")
    submit(fin, task_id, "acknowledge")
    refused = submit(fin, task_id, "report-progress", {"percent": "140", "text": "进展说明保留"},
                     content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r'id="e-report_progress-percent">请填写 0 到 100 之间的数<', page)
    assert "进展说明保留</textarea>" in page and 'value="140"' in page
    assert re.search(r'<details class="action" open><summary>反馈进展', page), "the refused form is open"
    assert events_of(api, task_id)[-1] == "Task.Acknowledged", "nothing recorded"

    backwards = submit(fin, task_id, "request-extension", {"new_deadline": "2026-05-01", "reason": "等待"})
    assert backwards.status_code == 422
    assert re.search(r'id="e-request_extension-new_deadline">须晚于当前期限 2026-06-30<', backwards.get_data(as_text=True))
    assert "等待</textarea>" in backwards.get_data(as_text=True)


def test_evidence_naming_an_unknown_file_is_refused_beside_the_files(app, api):
    task_id = assign(api)
    fin = sign_in(app, "fin")
    submit(fin, task_id, "acknowledge")
    refused = submit(fin, task_id, "report-progress",
                     {"percent": "10", "text": "x", "evidence_kept": "ab" * 32 + "|伪造.pdf"},
                     content_type="multipart/form-data")
    assert refused.status_code == 422
    assert re.search(r'id="e-report_progress-files">没有找到这个文件,请先上传<', refused.get_data(as_text=True))


def test_acknowledging_twice_from_a_stale_form_is_a_409_page_with_the_reason(app, api):
    task_id = assign(api)
    fin = sign_in(app, "fin")
    stale = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    second_tab = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert submit(fin, task_id, "acknowledge", page=stale).status_code == 302
    again = submit(fin, task_id, "acknowledge", page=second_tab)
    assert again.status_code == 409
    assert "当前状态不允许该操作" in again.get_data(as_text=True)
    assert "本单位已签收该事项。" in again.get_data(as_text=True)


def test_a_double_submit_of_the_same_form_records_once(app, api):
    task_id = assign(api)
    supervisor = sign_in(app, "dukao1")
    page = supervisor.get(f"/tasks/{task_id}").get_data(as_text=True)
    first = submit(supervisor, task_id, "urge", {"message": "请按期完成"}, page=page)
    second = submit(supervisor, task_id, "urge", {"message": "请按期完成"}, page=page)
    assert first.status_code == second.status_code == 302
    assert events_of(api, task_id).count("Task.Urged") == 1


def test_a_liaison_of_another_unit_sees_neither_the_task_nor_its_files(app, api):
    task_id = assign(api)
    evidence = api.upload("fin", "测算表.xlsx", b"finance only")
    api.call("POST", f"/api/v1/tasks/{task_id}/acknowledgements", "fin")
    api.call("POST", f"/api/v1/tasks/{task_id}/progress", "fin", json={"percent": 5, "text": "x", "evidence": [evidence]})
    fin, housing = sign_in(app, "fin"), sign_in(app, "housing")
    assert fin.get(f"/tasks/{task_id}").status_code == 200
    page = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    for path in (f"/tasks/{task_id}", f"/files/{evidence['sha256']}"):
        refused = housing.get(path)
        assert refused.status_code == 404 and "页面不存在" in refused.get_data(as_text=True), path
    own_token = re.search(r'name="csrf_token" value="([^"]+)"', housing.get("/board").get_data(as_text=True)).group(1)
    forged = {**form_of(page, f"/tasks/{task_id}/report-progress"), "csrf_token": own_token, "percent": "5", "text": "x"}
    assert housing.post(f"/tasks/{task_id}/report-progress", data=forged).status_code == 404
    assert housing.get("/tasks/not-a-task").status_code == 404


def test_a_page_upload_above_the_limit_is_413(app, api):
    task_id = assign(api)
    app.extensions["ledger"].upload_limit = 1024
    fin = sign_in(app, "fin")
    submit(fin, task_id, "acknowledge")
    refused = submit(fin, task_id, "report-progress",
                     {"percent": "10", "text": "x", "files": [(io.BytesIO(b"x" * 1025), "大.pdf")]},
                     content_type="multipart/form-data")
    assert refused.status_code == 413 and "内容过大" in refused.get_data(as_text=True)


# --- reading: the past, the board ---------------------------------------------------------------------------

def test_the_task_as_it_stood_at_an_earlier_instant_is_marked_as_past(app, api, clock):
    task_id = assign(api)
    before = clock.now()
    clock.advance(timedelta(hours=2))
    api.call("POST", f"/api/v1/tasks/{task_id}/acknowledgements", "fin")
    fin = sign_in(app, "fin")
    now = fin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "办理中" in now and " 签收\n" in now
    then = fin.get(f"/tasks/{task_id}?as_of={quote(before.isoformat())}")
    assert then.status_code == 200
    page = then.get_data(as_text=True)
    assert "这是历史视图" in page and "待签收" in page and " 签收\n" not in page
    assert "<h2>办理</h2>" not in page, "no actions on a past view"


def test_the_board_groups_tasks_by_status_with_lights_days_and_links(app, api):
    open_task = assign(api, lead="finance")
    assign(api, lead="education", co=["finance"], deadline="2026-03-03")
    api.call("POST", f"/api/v1/tasks/{open_task}/acknowledgements", "fin")
    page = sign_in(app, "fin").get("/board").get_data(as_text=True)
    assert "<h2>待签收(1)</h2>" in page and "<h2>办理中(1)</h2>" in page
    assert f'href="/tasks/{open_task}"' in page
    assert "牵头" in page and "配合" in page and "剩余 1 天" in page and "黄灯" in page


# --- the liaison's own unit and topics ---------------------------------------------------------------------

def test_a_liaison_sees_its_unit_and_reports_a_change_of_liaison(app):
    fin = sign_in(app, "fin")
    page = fin.get("/my-unit").get_data(as_text=True)
    assert "本单位:区财政局" in page and "职责分工" in page and ">本单位<" in page
    path = "/my-unit/liaison"
    refused = fin.post(path, data={**form_of(page, path), "name": "", "title": "科长", "reason": "岗位调整"})
    assert refused.status_code == 422 and 'value="科长"' in refused.get_data(as_text=True)
    done = fin.post(path, data={**form_of(page, path), "name": "王小明", "title": "科长", "phone": "0577-88000000",
                                "reason": "岗位调整"})
    assert done.status_code == 302
    page = fin.get("/my-unit").get_data(as_text=True)
    assert "联络员变更已记录。" in page and "王小明(科长)" in page and "岗位调整" in page
    assert sign_in(app, "office1").get("/my-unit").status_code == 403


def test_a_liaison_proposes_a_topic(app, api):
    fin = sign_in(app, "fin")
    page = fin.get("/topics/propose").get_data(as_text=True)
    assert "以本单位(区财政局)名义" in page
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    empty = fin.post("/topics/propose", data={**hidden, "title": " ", "background": "背景保留"})
    assert empty.status_code == 422 and "此项不能为空" in empty.get_data(as_text=True)
    assert "背景保留</textarea>" in empty.get_data(as_text=True)
    done = fin.post("/topics/propose", data={**hidden, "title": "建立公共文化设施免费开放经费保障机制",
                                             "background": "部分场馆经费不足"})
    assert done.status_code == 302
    assert "议题已提交" in fin.get("/topics/propose").get_data(as_text=True)
