"""End to end: `coordination serve` with several workers on a free loopback port; seed 002's story over
HTTP as the office, two liaisons and a supervisor; the boards, the H1 report and the audit log read back."""

from __future__ import annotations


import pytest


pytestmark = pytest.mark.db
PASSWORD = "correct horse battery"


@pytest.mark.serve_log_checked
def test_seed_002s_story_over_http_against_a_running_server(server):
    http = server
    ok = lambda result, status: result[0] == status or pytest.fail(f"{result}")  # noqa: E731

    topic = http("POST", "/api/v1/topics", "fin", {"title": "建立财政保障机制", "background": "示范区创建要求"})
    ok(topic, 201)
    ok(http("POST", f"/api/v1/topics/{topic[1]['id']}/acceptance", "office1"), 200)
    meeting = http("POST", "/api/v1/meetings", "office1", {
        "kind": "plenary", "title": "协调组2026年第一次全体会议", "date": "2026-03-02", "location": "区政府第一会议室",
        "chair": "区政府分管副区长", "topics": [topic[1]["id"]]})
    ok(meeting, 201)
    url = f"/api/v1/meetings/{meeting[1]['id']}"
    ok(http("POST", f"{url}/attendance", "office1", {"present": ["culture-tourism", "finance", "education"],
                                                       "absent": [{"unit": "statistics", "reason": "出差"}]}), 200)
    ok(http("PUT", f"{url}/minutes", "office1", {"number": "鹿文协纪〔2026〕1号", "summary": "纪要", "items": [
        {"title": "建立财政保障机制", "text": "区财政局牵头,区教育局配合", "category": "funding", "outcome": "agreed"}]}), 200)
    issued = http("POST", f"{url}/minutes/issue", "office1")
    ok(issued, 200)
    resolution = issued[1]["resolutions"][0]["id"]

    task = http("POST", "/api/v1/tasks", "office1", {
        "title": "出台基本公共文化服务保障标准", "source": {"kind": "resolution", "resolution_id": resolution},
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"},
        headers={"Idempotency-Key": "e2e-task-1"})
    ok(task, 201)
    again = http("POST", "/api/v1/tasks", "office1", {
        "title": "出台基本公共文化服务保障标准", "source": {"kind": "resolution", "resolution_id": resolution},
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"},
        headers={"Idempotency-Key": "e2e-task-1"})
    assert again[1] == task[1], "the same key and body answer the first response, from any worker"
    t = f"/api/v1/tasks/{task[1]['id']}"
    ok(http("POST", f"{t}/acknowledgements", "fin"), 201)
    ok(http("POST", f"{t}/acknowledgements", "edu"), 201)
    evidence = http.upload("edu", "数据.xlsx", "学校设施数据".encode())
    ok(http("POST", f"{t}/progress", "edu", {"percent": 50, "text": "学校设施数据已报送", "evidence": [evidence]}), 201)
    ok(http("POST", f"{t}/urgings", "dukao1", {"message": "请按期完成"}), 201)
    ok(http("POST", f"{t}/extension-requests", "fin", {"new_deadline": "2026-07-31", "reason": "等待市级标准"}), 201)
    ok(http("POST", f"{t}/extension-requests/1/decision", "office1", {"approved": True, "comment": "同意"}), 200)
    ok(http("POST", f"{t}/completion-request", "fin", {"summary": "标准已印发"}), 201)
    ok(http("POST", f"{t}/completion-decision", "office1", {"accepted": True, "comment": "核验通过"}), 200)
    ok(http("POST", f"{t}/comments", "dukao1", {"text": "按期完成"}), 201)

    board = http("GET", "/api/v1/units/finance/board", "office1")
    assert board[1]["counts"]["completed"] == 1 and board[1]["tasks"][0]["effective_deadline"] == "2026-07-31"
    assert http("GET", "/api/v1/units/finance/board", "edu")[0] == 403
    co_board = http("GET", "/api/v1/units/education/board", "edu")
    assert [x["role"] for x in co_board[1]["tasks"]] == ["co"]

    report = http("GET", "/api/v1/reports/supervision/2026H1", "dukao1")
    assert report[0] == 200
    assert report[1]["totals"]["meetings_held"] == 1 and report[1]["totals"]["tasks_completed_on_time"] == 1
    assert report[1]["totals"]["extensions_approved"] == 1 and report[1]["totals"]["urgings"] == 1

    seen, after = [], 0
    while True:
        page = http("GET", f"/api/v1/events?after={after}&limit=50", "dukao1")[1]
        if not page["events"]:
            break
        seen += page["events"]
        after = page["next_after"]
    types = [e["type"] for e in seen]
    assert types.count("Task.Acknowledged") == 2 and types[-1] == "Task.Commented"
    assert seen[-1]["actor"] == {"username": "dukao1", "unit": "supervision-office"}
    status, body, headers = http("GET", "/healthz")
    assert status == 200 and headers.get("X-Request-ID")
