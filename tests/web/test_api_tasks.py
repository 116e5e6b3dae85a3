"""The task API: the contract's paths, fields and status codes, for every role."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

NEW_TASK = {"title": "建立基本公共文化服务保障标准", "source": {"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
            "category": "funding", "lead_unit": "finance", "co_units": ["education"], "deadline": "2026-06-30"}


def assign(api, **overrides):
    response = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_no_token_is_401_with_the_contract_error_body(api):
    response = api.call("GET", "/api/v1/tasks")
    assert response.status_code == 401
    assert set(response.get_json()) >= {"code", "status", "message", "errors"}
    assert api.call("GET", "/api/v1/tasks", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_wrong_password_gets_no_token(api):
    response = api.client.post("/api/v1/auth/token", json={"username": "fin", "password": "wrong one!"})
    assert response.status_code == 401


@pytest.mark.parametrize(("user", "status"), [("office1", 201), ("dukao1", 403), ("admin1", 403), ("fin", 403)])
def test_only_the_office_assigns_tasks(api, user, status):
    assert api.call("POST", "/api/v1/tasks", user, json=NEW_TASK).status_code == status


@pytest.mark.parametrize(
    ("field", "value"),
    [("lead_unit", "nowhere"), ("deadline", "30/06/2026"), ("co_units", "education"), ("title", ""),
     ("category", "sports"), ("surprise", 1)],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(api, runtime, field, value):
    before = runtime.ledger.position()
    response = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, field: value})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert runtime.ledger.position() == before


def test_a_rule_of_the_domain_is_422_with_its_field(api):
    response = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, "co_units": ["finance"]})
    assert response.status_code == 422
    assert "co_units" in response.get_json()["errors"]


def test_the_lifecycle_over_http_with_roles_and_another_units_liaison(api):
    task = assign(api)
    assert (task["status"], task["lead_unit"], task["light"]) == ("assigned", "finance", "green")
    task_id = task["id"]
    url = f"/api/v1/tasks/{task_id}"

    assert api.call("POST", f"{url}/acknowledgements", "housing").status_code == 403
    assert api.call("GET", url, "housing").status_code == 403
    assert api.call("POST", f"{url}/acknowledgements", "fin").get_json()["status"] == "in_progress"
    assert api.call("POST", f"{url}/acknowledgements", "fin").status_code == 409
    assert api.call("POST", f"{url}/acknowledgements", "edu").status_code == 201

    evidence = api.upload("edu", "数据.xlsx", "学校设施数据".encode())
    progress = api.call("POST", f"{url}/progress", "edu", json={"percent": 40, "text": "数据已报送",
                        "evidence": [evidence]})
    assert progress.status_code == 201
    assert api.call("POST", f"{url}/progress", "edu", json={"percent": 140, "text": "x"}).status_code == 422

    assert api.call("POST", f"{url}/extension-requests", "edu",
                    json={"new_deadline": "2026-08-31", "reason": "等待"}).status_code == 403
    requested = api.call("POST", f"{url}/extension-requests", "fin", json={"new_deadline": "2026-08-31",
                                                                           "reason": "等待市级标准"})
    assert requested.status_code == 201 and requested.get_json()["request"] == 1
    assert api.call("POST", f"{url}/extension-requests/1/decision", "fin",
                    json={"approved": True, "comment": "ok"}).status_code == 403
    decided = api.call("POST", f"{url}/extension-requests/1/decision", "office1",
                       json={"approved": True, "comment": "同意"})
    assert decided.get_json()["effective_deadline"] == "2026-08-31"

    assert api.call("POST", f"{url}/urgings", "dukao1", json={"message": "请加快"}).status_code == 201
    assert api.call("POST", f"{url}/urgings", "fin", json={"message": "x"}).status_code == 403
    assert api.call("POST", f"{url}/comments", "dukao1", json={"text": "进展良好"}).status_code == 201
    assert api.call("POST", f"{url}/comments", "office1", json={"text": "x"}).status_code == 403

    assert api.call("POST", f"{url}/completion-request", "fin", json={"summary": "标准已印发"}).status_code == 201
    done = api.call("POST", f"{url}/completion-decision", "office1", json={"accepted": True, "comment": "同意办结"})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert api.call("POST", f"{url}/cancellation", "office1", json={"reason": "x"}).status_code == 409

    # Reads after the caller's own write show that write (the views may lag others' writes).
    assert api.call("GET", url, "office1").get_json()["status"] == "completed"
    board = api.call("GET", "/api/v1/units/finance/board", "office1").get_json()
    assert board["counts"]["completed"] == 1 and board["tasks"][0]["role"] == "lead"
    assert api.call("GET", "/api/v1/units/finance/board", "edu").status_code == 403
    assert api.call("GET", "/api/v1/units/education/board", "dukao1").get_json()["tasks"][0]["role"] == "co"
    history = api.call("GET", f"{url}/history", "edu").get_json()
    assert [e["type"] for e in history][:3] == ["Task.Assigned", "Task.Acknowledged", "Task.Acknowledged"]
    assert api.call("GET", "/api/v1/tasks", "housing").get_json() == []
    assert [t["id"] for t in api.call("GET", "/api/v1/tasks?unit=finance&role=lead", "office1").get_json()] == [task_id]
    assert api.call("GET", "/api/v1/tasks?unit=finance", "edu").status_code == 403


def test_idempotency_key_returns_the_first_response_and_refuses_another_body(api, runtime):
    headers = {"Idempotency-Key": "assign-42"}
    first = api.call("POST", "/api/v1/tasks", "office1", json=NEW_TASK, headers=dict(headers))
    position = runtime.ledger.position()
    again = api.call("POST", "/api/v1/tasks", "office1", json=NEW_TASK, headers=dict(headers))
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert runtime.ledger.position() == position
    other = api.call("POST", "/api/v1/tasks", "office1", json={**NEW_TASK, "title": "别的"}, headers=dict(headers))
    assert other.status_code == 409


def test_unknown_ids_are_404_and_revoked_tokens_401(api):
    assert api.call("GET", "/api/v1/tasks/not-a-uuid", "office1").status_code == 404
    assert api.call("POST", "/api/v1/tasks/5b0c4a4e-0000-4000-8000-000000000000/acknowledgements",
                    "fin").status_code == 404
    assert api.call("GET", "/api/v1/units/nowhere/board", "office1").status_code == 404
    assert api.call("DELETE", "/api/v1/auth/token", "fin").status_code == 204
    assert api.call("GET", "/api/v1/tasks", "fin").status_code == 401


def test_the_openapi_document_and_docs_are_served_without_a_cdn(api):
    spec = api.client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/tasks/{task_id}/acknowledgements" in spec["paths"]
    docs = api.client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    asset = api.client.get("/api/v1/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.get_data()
    asset.close()
