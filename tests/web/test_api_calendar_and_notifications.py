"""The API of issue 13: the calendar, deadlines in working days, urging replies, inboxes and settings."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.db

NEW_TASK = {"title": "建立基本公共文化服务保障标准", "source": {"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
            "category": "funding", "lead_unit": "finance", "co_units": ["education"]}
SCHEDULE = {"holidays": ["2027-01-01", "2027-02-05", "2027-02-08"], "workdays": ["2027-02-20"],
            "reference": "国办发明电〔2026〕X号", "reason": "国务院公布2027年节假日安排"}


def test_the_office_records_a_years_calendar_and_everyone_reads_it(api):
    assert api.call("GET", "/api/v1/calendar/2027", "fin").get_json()["source"] == "weekdays"
    assert api.call("PUT", "/api/v1/calendar/2027", "fin", json=SCHEDULE).status_code == 403
    assert api.call("PUT", "/api/v1/calendar/2027", "office1", json={**SCHEDULE, "holidays": ["2028-01-01"]}
                    ).status_code == 422
    answer = api.call("PUT", "/api/v1/calendar/2027", "office1", json=SCHEDULE)
    assert answer.status_code == 200, answer.get_json()
    read = api.call("GET", "/api/v1/calendar/2027", "edu").get_json()
    assert read == {"year": 2027, "source": "office", "reference": "国办发明电〔2026〕X号",
                    "holidays": SCHEDULE["holidays"], "workdays": SCHEDULE["workdays"]}
    assert api.call("GET", "/api/v1/calendar/2026", "edu").get_json()["source"] == "statutory"


def test_a_deadline_may_be_given_in_working_days(api):
    response = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, "deadline_in_working_days": 5})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["deadline"] == "2026-03-09"  # from Monday 03-02: 03-03 … 03-09
    both = api.call("POST", "/api/v1/tasks", "office1",
                    json={**NEW_TASK, "deadline": "2026-06-30", "deadline_in_working_days": 5})
    assert both.status_code == 422 and "deadline" in both.get_json()["errors"]
    assert api.call("POST", "/api/v1/tasks", "office1", json=NEW_TASK).status_code == 422


def test_the_lead_unit_replies_to_an_urging_and_the_history_shows_it(api):
    task = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, "deadline": "2026-06-30"}).get_json()["id"]
    for _ in range(2):
        api.call("POST", f"/api/v1/tasks/{task}/urgings", "dukao1", json={"message": "请加快"})
    assert api.call("POST", f"/api/v1/tasks/{task}/urging-replies", "edu", json={"text": "配合"}).status_code == 403
    reply = api.call("POST", f"/api/v1/tasks/{task}/urging-replies", "fin", json={"text": "已部署,月底完成"})
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["urging_level"] == "second_urging"
    history = api.call("GET", f"/api/v1/tasks/{task}/history", "fin").get_json()
    assert history[-1]["type"] == "Task.UrgingReplied" and history[-1]["data"]["text"] == "已部署,月底完成"
    board = api.call("GET", "/api/v1/units/finance/board", "fin").get_json()
    assert board["tasks"][0]["urging_label"] == "二次催办"


def inbox(api, user, **query):
    deadline = time.monotonic() + 10
    while True:
        found = api.call("GET", "/api/v1/notifications", user, query_string=query).get_json()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_liaison_sees_only_its_units_inbox_and_marks_read(api):
    task = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, "deadline": "2026-06-30"}).get_json()["id"]
    fin = inbox(api, "fin", unread="true")
    assert [(n["kind"], n["task_id"]) for n in fin] == [("assigned", task)]
    assert "牵头" in fin[0]["text"] and set(fin[0]) == {"id", "at", "kind", "task_id", "text", "read"}
    assert [n["kind"] for n in inbox(api, "edu")] == ["assigned"]
    assert api.call("GET", "/api/v1/notifications", "housing").get_json() == []
    # Another unit's notification is not found for it; its own is marked read.
    assert api.call("POST", f"/api/v1/notifications/{fin[0]['id']}/read", "edu").status_code == 404
    assert api.call("POST", f"/api/v1/notifications/{fin[0]['id']}/read", "fin").status_code == 200
    assert api.call("GET", "/api/v1/notifications", "fin", query_string={"unread": "true"}).get_json() == []
    assert api.call("GET", "/api/v1/notifications", "fin").get_json()[0]["read"] is True
    # The office's inbox gets what awaits its decision.
    api.call("POST", f"/api/v1/tasks/{task}/acknowledgements", "fin")
    api.call("POST", f"/api/v1/tasks/{task}/extension-requests", "fin",
             json={"new_deadline": "2026-09-30", "reason": "等待批复"})
    assert [n["kind"] for n in inbox(api, "office1")] == ["decision"]


def test_notification_settings_are_stored_apart_from_the_log(api, runtime):
    body = {"webhook_url": "http://127.0.0.1:9/robot/send?access_token=abc", "webhook_secret": "SECxyz",
            "emails": ["caizheng@lucheng.example"]}
    assert api.call("PUT", "/api/v1/units/finance/notification-settings", "edu", json=body).status_code == 403
    assert api.call("PUT", "/api/v1/units/finance/notification-settings", "dukao1", json=body).status_code == 403
    answer = api.call("PUT", "/api/v1/units/finance/notification-settings", "fin", json=body)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"unit": "finance", "webhook_url": "http://127.0.0.1:9/robot/send",
                                 "webhook_secret_set": True, "emails": ["caizheng@lucheng.example"]}
    assert api.call("PUT", "/api/v1/units/finance/notification-settings", "office1",
                    json={"emails": ["not an address"]}).status_code == 422
    deadline = time.monotonic() + 10
    while True:  # the audit view follows the log within moments
        events = api.call("GET", "/api/v1/events", "office1",
                          query_string={"type": "MemberUnit.NotificationSettingsChanged"}).get_json()["events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(e["actor"]["username"], e["data"]) for e in events] == [("fin", {"webhook": True, "emails": 1})]
    raw = b"".join(n.state for n in runtime.ledger.recorder.select_notifications(start=1, limit=10_000))
    assert b"SECxyz" not in raw and b"access_token" not in raw
    assert api.call("GET", "/api/v1/notifications/deliveries", "fin").status_code == 403
    assert api.call("GET", "/api/v1/notifications/deliveries", "office1", query_string={"failed": "true"}
                    ).get_json() == []
