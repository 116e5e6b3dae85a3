"""Users, roster, topics, meetings, minutes and resolutions over HTTP, with every role."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

ITEMS = [{"title": "保障机制", "text": "财政局牵头", "category": "funding", "outcome": "agreed"},
         {"title": "人员下派", "text": "再议", "category": "talent", "outcome": "deferred",
          "dissent": [{"unit": "staffing-office", "opinion": "编制不足"}]}]


def test_only_an_admin_adds_users_and_the_new_user_can_log_in(api):
    body = {"username": "stat01", "password": "A long password 1", "unit": "statistics", "roles": ["liaison"]}
    for user in ("office1", "dukao1", "fin"):
        assert api.call("POST", "/api/v1/users", user, json=body).status_code == 403
    assert api.call("POST", "/api/v1/users", "admin1", json=body).status_code == 201
    assert api.call("POST", "/api/v1/users", "admin1", json=body).status_code == 409
    assert api.call("POST", "/api/v1/users", "admin1", json={**body, "username": "x2", "roles": ["boss"]}).status_code == 422
    token = api.client.post("/api/v1/auth/token", json={"username": "stat01", "password": "A long password 1"})
    assert token.status_code == 201 and token.get_json()["user"]["unit"] == "statistics"


def test_roster_changes_by_the_office_or_the_units_own_liaison(api):
    person = {"name": "王敏", "title": "预算科科长", "phone": "0577-88000000", "reason": "人事调整"}
    assert api.call("PUT", "/api/v1/units/finance/liaison", "fin", json=person).status_code == 200
    assert api.call("PUT", "/api/v1/units/education/liaison", "fin", json=person).status_code == 403
    assert api.call("PUT", "/api/v1/units/education/member", "office1", json=person).status_code == 200
    assert api.call("PUT", "/api/v1/units/education/member", "dukao1", json=person).status_code == 403
    assert api.call("PUT", "/api/v1/units/education/member", "office1", json={**person, "name": ""}).status_code == 422
    unit = api.call("GET", "/api/v1/units/finance", "edu").get_json()
    assert unit["liaison"]["name"] == "王敏" and unit["name"] == "区财政局"
    assert len(api.call("GET", "/api/v1/units", "edu").get_json()) == 26
    assert api.call("GET", "/api/v1/group", "edu").get_json()["units"] == 26


def test_seed_002s_meeting_flow_over_http(api, clock):
    topic = api.call("POST", "/api/v1/topics", "fin", json={"title": "保障机制", "background": "示范区要求"})
    assert topic.status_code == 201 and topic.get_json()["status"] == "proposed"
    topic_id = topic.get_json()["id"]
    assert api.call("POST", f"/api/v1/topics/{topic_id}/acceptance", "fin").status_code == 403
    assert api.call("POST", f"/api/v1/topics/{topic_id}/acceptance", "office1").status_code == 200

    meeting = {"kind": "plenary", "title": "全体会议", "date": clock.now().date().isoformat(), "location": "会议室",
               "chair": "召集人", "topics": [topic_id]}
    assert api.call("POST", "/api/v1/meetings", "fin", json=meeting).status_code == 403
    assert api.call("POST", "/api/v1/meetings", "office1", json={**meeting, "kind": "party"}).status_code == 422
    created = api.call("POST", "/api/v1/meetings", "office1", json=meeting)
    assert created.status_code == 201 and created.get_json()["status"] == "scheduled"
    url = f"/api/v1/meetings/{created.get_json()['id']}"

    assert api.call("POST", f"{url}/attendance", "office1",
                    json={"present": ["finance", "education"], "absent": [{"unit": "statistics", "reason": "出差"}],
                          "invited": ["市文广旅局"]}).status_code == 200
    minutes = {"number": "鹿文协纪〔2026〕1号", "summary": "纪要", "items": ITEMS}
    dissent_agreed = {**minutes, "items": [{**ITEMS[1], "outcome": "agreed"}]}
    rejected = api.call("PUT", f"{url}/minutes", "office1", json=dissent_agreed)
    assert rejected.status_code == 422 and "items.0.outcome" in rejected.get_json()["errors"]
    assert api.call("PUT", f"{url}/minutes", "office1", json=minutes).status_code == 200
    issued = api.call("POST", f"{url}/minutes/issue", "office1")
    assert issued.status_code == 200
    (resolution,) = issued.get_json()["resolutions"]
    assert (resolution["title"], resolution["category"]) == ("保障机制", "funding")
    assert api.call("PUT", f"{url}/minutes", "office1", json=minutes).status_code == 409
    assert api.call("POST", f"{url}/minutes/corrections", "office1",
                    json={"correction": "配合单位增加区教育局", "reason": "遗漏"}).status_code == 201

    task = api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台保障标准", "source": {"kind": "resolution", "resolution_id": resolution["id"]},
        "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"}).get_json()
    assert task["category"] == "funding"

    api.settle()  # edu reads what the office wrote
    register = api.call("GET", "/api/v1/meetings", "edu").get_json()
    assert [m["status"] for m in register] == ["minutes_issued"]
    one = api.call("GET", url, "office1").get_json()
    assert one["resolutions"][0]["tasks"][0]["id"] == task["id"]
    assert len(one["corrections"]) == 1
    listed = api.call("GET", "/api/v1/resolutions?category=funding", "office1").get_json()
    assert [r["id"] for r in listed] == [resolution["id"]]
    assert api.call("GET", f"/api/v1/resolutions/{resolution['id']}", "dukao1").get_json()["tasks"][0]["title"] == "出台保障标准"
    assert api.call("GET", "/api/v1/resolutions?category=nonsense", "office1").status_code == 422
    assert api.call("GET", "/api/v1/meetings/5b0c4a4e-0000-4000-8000-000000000000", "office1").status_code == 404


def test_reports_and_the_audit_log_by_role(api, runtime, clock):
    from datetime import datetime

    api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "任务", "source": {"kind": "plan", "reference": "方案"}, "category": "other",
        "lead_unit": "finance", "co_units": [], "deadline": "2026-03-13"})
    assert api.call("GET", "/api/v1/reports/supervision/2026H1", "fin").status_code == 403
    draft = api.call("GET", "/api/v1/reports/supervision/2026H1", "dukao1").get_json()
    assert draft["totals"]["tasks_assigned"] == 1 and len(draft["units"]) == 26
    assert api.call("GET", "/api/v1/reports/supervision/2026H9", "dukao1").status_code == 422
    assert api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "office1",
                    json={"narrative": "x"}).status_code == 403
    clock.set(datetime.fromisoformat("2026-07-02T09:00:00+08:00"))
    assert api.call("GET", "/api/v1/dashboard", "office1").status_code == 401, "tokens expire after 8 hours"
    api.tokens.clear()
    issued = api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "dukao1", json={"narrative": "上半年情况"})
    assert issued.status_code == 201, issued.get_json()
    assert api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "dukao1",
                    json={"narrative": "again"}).status_code == 409
    first = api.call("GET", "/api/v1/reports/supervision/2026H1/issued", "office1")
    second = api.call("GET", "/api/v1/reports/supervision/2026H1/issued", "dukao1")
    assert first.get_data() == second.get_data()
    assert first.headers["X-Content-SHA256"] == issued.get_json()["sha256"]
    assert first.get_json()["totals"]["tasks_overdue"] == 1

    assert api.call("GET", "/api/v1/events", "fin").status_code == 403
    page = api.call("GET", "/api/v1/events?limit=1000", "dukao1").get_json()
    assert [e["position"] for e in page["events"]] == list(range(1, runtime.ledger.position() + 1))
    assert all("password_hash" not in e["data"] for e in page["events"])
    assert api.call("GET", "/api/v1/events?limit=5000", "dukao1").status_code == 422
    assert api.call("GET", "/api/v1/dashboard", "fin").status_code == 403
    assert api.call("GET", "/api/v1/dashboard", "office1").get_json()["counts"]["by_light"]["red"] == 1
