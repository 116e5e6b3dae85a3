"""Every endpoint of the contract, for every role and a liaison of another unit: allowed → 2xx, otherwise
403; without a token → 401; a body with an unknown field → 422 naming it. Each attempt gets fresh state."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.actors import Actor

pytestmark = pytest.mark.db

ROLES = ("office1", "dukao1", "admin1", "fin", "edu", "housing")
"""office, supervisor, admin, the lead unit's liaison, a co-unit's liaison, another unit's liaison."""

OFFICE = Actor("office1", "culture-tourism", frozenset({"office"}))
SUPERVISOR = Actor("dukao1", "supervision-office", frozenset({"supervisor"}))
FIN = Actor("fin", "finance", frozenset({"liaison"}))
EDU = Actor("edu", "education", frozenset({"liaison"}))


def new_task(ledger, state: str = "assigned") -> dict:
    task = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"}, category="other",
                              lead_unit="finance", co_units=["education"], deadline=date(2026, 6, 30)).result["id"]
    if state != "assigned":
        ledger.acknowledge(FIN, task)
        ledger.acknowledge(EDU, task)
    if state == "extension_pending":
        ledger.request_extension(FIN, task, new_deadline=date(2026, 8, 1), reason="等待")
    if state == "completion_requested":
        ledger.request_completion(FIN, task, summary="完成")
    return {"task": task}


def new_meeting(ledger, state: str = "scheduled") -> dict:
    meeting = ledger.schedule_meeting(OFFICE, kind="office", title="会议", date=ledger.clock.now().date(),
                                      location="会议室", chair="主任").result["id"]
    ids = {"meeting": meeting}
    if state in ("held", "drafted", "issued"):
        ledger.record_attendance(OFFICE, meeting, present=["finance"], absent=[])
    if state in ("drafted", "issued"):
        ledger.draft_minutes(OFFICE, meeting, number=f"鹿文协纪〔2026〕{meeting[:8]}号", summary="纪要",
                             items=[{"title": "事项", "text": "内容", "category": "other", "outcome": "agreed"}])
    if state == "issued":
        ids["resolution"] = ledger.issue_minutes(OFFICE, meeting).result["resolutions"][0]["id"]
    return ids


def new_topic(ledger) -> dict:
    return {"topic": ledger.propose_topic(FIN, title="议题").result["id"]}


def nothing(ledger) -> dict:
    return {}


def new_user(ledger) -> dict:
    from uuid import uuid4

    from tests.conftest import ADMIN

    username = f"u{uuid4().hex[:10]}"
    ledger.register_user(ADMIN, username=username, password="Initial pw 2026", unit="finance", roles=["liaison"])
    return {"user": username}


TASK_READERS = {"office1", "dukao1", "fin", "edu"}
LEADERS = {"office1", "dukao1"}
EVERYONE = set(ROLES)
PERSON = {"name": "王敏", "title": "科长", "reason": "调整"}

# name, method, path, body, allowed roles, set-up
ENDPOINTS = [
    ("assign task", "POST", "/api/v1/tasks", {"title": "t", "source": {"kind": "plan", "reference": "r"},
     "category": "other", "lead_unit": "finance", "co_units": [], "deadline": "2026-06-30"}, {"office1"}, nothing),
    ("task register", "GET", "/api/v1/tasks", None, EVERYONE - {"admin1"}, nothing),
    ("one task", "GET", "/api/v1/tasks/{task}", None, TASK_READERS, new_task),
    ("task history", "GET", "/api/v1/tasks/{task}/history", None, TASK_READERS, new_task),
    ("acknowledge", "POST", "/api/v1/tasks/{task}/acknowledgements", None, {"fin", "edu"}, new_task),
    ("progress", "POST", "/api/v1/tasks/{task}/progress", {"percent": 10, "text": "进展"}, {"fin", "edu"},
     lambda l: new_task(l, "in_progress")),
    ("request extension", "POST", "/api/v1/tasks/{task}/extension-requests",
     {"new_deadline": "2026-08-01", "reason": "等待"}, {"fin"}, lambda l: new_task(l, "in_progress")),
    ("decide extension", "POST", "/api/v1/tasks/{task}/extension-requests/1/decision",
     {"approved": True, "comment": "同意"}, {"office1"}, lambda l: new_task(l, "extension_pending")),
    ("request completion", "POST", "/api/v1/tasks/{task}/completion-request", {"summary": "完成"}, {"fin"},
     lambda l: new_task(l, "in_progress")),
    ("decide completion", "POST", "/api/v1/tasks/{task}/completion-decision", {"accepted": True, "comment": ""},
     {"office1"}, lambda l: new_task(l, "completion_requested")),
    ("urge", "POST", "/api/v1/tasks/{task}/urgings", {"message": "催办"}, LEADERS, new_task),
    ("comment", "POST", "/api/v1/tasks/{task}/comments", {"text": "意见"}, {"dukao1"}, new_task),
    ("reassign", "POST", "/api/v1/tasks/{task}/reassignment",
     {"lead_unit": "housing-construction", "co_units": [], "reason": "调整"}, {"office1"}, new_task),
    ("cancel", "POST", "/api/v1/tasks/{task}/cancellation", {"reason": "撤销"}, {"office1"}, new_task),
    ("board", "GET", "/api/v1/units/finance/board", None, {"office1", "dukao1", "fin"}, nothing),
    ("dashboard", "GET", "/api/v1/dashboard", None, LEADERS, nothing),
    ("draft report", "GET", "/api/v1/reports/supervision/2026H1", None, LEADERS, nothing),
    ("events", "GET", "/api/v1/events", None, LEADERS, nothing),
    ("group", "GET", "/api/v1/group", None, EVERYONE, nothing),
    ("units", "GET", "/api/v1/units", None, EVERYONE, nothing),
    ("one unit", "GET", "/api/v1/units/finance", None, EVERYONE, nothing),
    ("change member", "PUT", "/api/v1/units/finance/member", PERSON, {"office1", "fin"}, nothing),
    ("change liaison", "PUT", "/api/v1/units/finance/liaison", PERSON, {"office1", "fin"}, nothing),
    ("add user", "POST", "/api/v1/users", {"username": "u{n}", "password": "A long password 1", "unit": "finance",
     "roles": ["liaison"]}, {"admin1"}, nothing),
    ("propose topic", "POST", "/api/v1/topics", {"title": "议题"}, {"office1", "fin", "edu", "housing"}, nothing),
    ("accept topic", "POST", "/api/v1/topics/{topic}/acceptance", None, {"office1"}, new_topic),
    ("decline topic", "POST", "/api/v1/topics/{topic}/decline", {"reason": "不予采纳"}, {"office1"}, new_topic),
    ("schedule meeting", "POST", "/api/v1/meetings", {"kind": "office", "title": "会议", "date": "2026-04-01",
     "location": "会议室", "chair": "主任"}, {"office1"}, nothing),
    ("meetings", "GET", "/api/v1/meetings", None, EVERYONE, nothing),
    ("one meeting", "GET", "/api/v1/meetings/{meeting}", None, EVERYONE, new_meeting),
    ("attendance", "POST", "/api/v1/meetings/{meeting}/attendance", {"present": ["finance"]}, {"office1"},
     new_meeting),
    ("draft minutes", "PUT", "/api/v1/meetings/{meeting}/minutes", {"number": "纪要{n}", "summary": "纪要",
     "items": [{"title": "事项", "text": "内容", "category": "other", "outcome": "agreed"}]}, {"office1"},
     lambda l: new_meeting(l, "held")),
    ("issue minutes", "POST", "/api/v1/meetings/{meeting}/minutes/issue", None, {"office1"},
     lambda l: new_meeting(l, "drafted")),
    ("correct minutes", "POST", "/api/v1/meetings/{meeting}/minutes/corrections",
     {"correction": "勘误", "reason": "笔误"}, {"office1"}, lambda l: new_meeting(l, "issued")),
    ("resolutions", "GET", "/api/v1/resolutions", None, EVERYONE, nothing),
    ("one resolution", "GET", "/api/v1/resolutions/{resolution}", None, EVERYONE,
     lambda l: new_meeting(l, "issued")),
    ("revoke token", "DELETE", "/api/v1/auth/token", None, EVERYONE, nothing),
    # accounts (issue 9): the admin only — and the admin nothing else above (三员分立)
    ("list users", "GET", "/api/v1/users", None, {"admin1"}, nothing),
    ("change user", "PATCH", "/api/v1/users/{user}", {"display_name": "新名", "reason": "更正"}, {"admin1"}, new_user),
    ("reset password", "POST", "/api/v1/users/{user}/password", {"password": "Temporary pw 1", "reason": "重置"},
     {"admin1"}, new_user),
    ("security events", "GET", "/api/v1/security-events", None, {"dukao1"}, nothing),
]


@pytest.mark.parametrize(("name", "method", "path", "body", "allowed", "setup"), ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])
def test_each_role_is_allowed_or_refused_and_bad_calls_are_401_or_422(api, runtime, name, method, path, body,
                                                                      allowed, setup):
    ledger = runtime.ledger
    counter = iter(range(1000))

    def request(user, ids, payload):
        filled = {k: (v.format(n=next(counter)) if isinstance(v, str) else v) for k, v in (payload or {}).items()}
        return api.call(method, path.format(**ids), user, json=filled if payload is not None else None)

    assert request(None, setup(ledger), body).status_code == 401, "no token"
    for user in ROLES:
        response = request(user, setup(ledger), body)
        if user in allowed:
            assert 200 <= response.status_code < 300, (user, response.status_code, response.get_json())
        else:
            assert response.status_code == 403, (user, response.status_code, response.get_json())
        if name == "revoke token":
            api.tokens.pop(user, None)
    if body is not None:
        response = request(next(iter(sorted(allowed))), setup(ledger), {**body, "unexpected": 1})
        assert response.status_code == 422 and "unexpected" in response.get_json()["errors"], response.get_json()


def test_issuing_and_reading_the_frozen_report_by_role(api, runtime, clock):
    clock.set(datetime.fromisoformat("2026-07-02T09:00:00+08:00"))
    for user in ("office1", "admin1", "fin", "housing"):
        assert api.call("POST", "/api/v1/reports/supervision/2026H1/issue", user,
                        json={"narrative": "情况"}).status_code == 403
    assert api.call("POST", "/api/v1/reports/supervision/2026H1/issue", None, json={"narrative": "x"}).status_code == 401
    bad = api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "dukao1", json={"narrative": "x", "extra": 1})
    assert bad.status_code == 422 and "extra" in bad.get_json()["errors"]
    assert api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "dukao1",
                    json={"narrative": "上半年情况"}).status_code == 201
    for user in ROLES:
        expected = 200 if user in LEADERS else 403
        assert api.call("GET", "/api/v1/reports/supervision/2026H1/issued", user).status_code == expected, user
