"""Evidence files over the API: uploaded once by content, downloaded with their Chinese name by those entitled,
and named as evidence only once uploaded."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest

from tests.conftest import secrets_in_the_log

pytestmark = pytest.mark.db


def post_file(api, user: str, name: str, content: bytes, content_type: str = "application/pdf"):
    return api.call("POST", "/api/v1/files", user, data={"file": (io.BytesIO(content), name, content_type)},
                    content_type="multipart/form-data")


def assign(api, lead: str = "finance", co: list[str] | None = None) -> str:
    created = api.call("POST", "/api/v1/tasks", "office1", json={
        "title": "出台保障标准", "source": {"kind": "plan", "reference": "方案"}, "category": "funding",
        "lead_unit": lead, "co_units": co or [], "deadline": "2026-06-30"})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def test_a_file_is_stored_once_by_its_content_and_comes_back_with_its_chinese_name(api, runtime):
    content = "鹿城区公共文化服务保障标准(送审稿)".encode() * 10
    first = post_file(api, "fin", "保障标准.pdf", content)
    assert first.status_code == 201
    assert first.get_json() == {"sha256": hashlib.sha256(content).hexdigest(), "name": "保障标准.pdf",
                                "size": len(content), "content_type": "application/pdf"}
    again = post_file(api, "fin", "保障标准.pdf", content)
    assert again.status_code == 201 and again.get_json()["sha256"] == first.get_json()["sha256"]

    digest = first.get_json()["sha256"]
    from coordination.storage import connect

    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM evidence_files WHERE sha256 = %s", (digest,)).fetchone()[0] == 1
    assert secrets_in_the_log(runtime.url, runtime.schema, ("鹿城区公共文化服务保障标准",)) == [], \
        "no file content in the event log"

    download = api.call("GET", f"/api/v1/files/{digest}", "fin")
    assert download.status_code == 200 and download.data == content
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote('保障标准.pdf')}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_uploader_and_readers_of_a_task_naming_the_file_may_read_it(api):
    task_id = assign(api, co=["education"])
    evidence = api.upload("fin", "测算表.xlsx", b"finance figures")
    path = f"/api/v1/files/{evidence['sha256']}"
    for stranger in ("edu", "housing", "office1", "admin1"):
        assert api.call("GET", path, stranger).status_code == 404, stranger

    api.call("POST", f"/api/v1/tasks/{task_id}/acknowledgements", "fin")
    reported = api.call("POST", f"/api/v1/tasks/{task_id}/progress", "fin",
                        json={"percent": 30, "text": "完成测算", "evidence": [evidence]})
    assert reported.status_code == 201, reported.get_json()
    for reader in ("fin", "edu", "office1", "dukao1"):
        assert api.call("GET", path, reader).status_code == 200, reader
    assert api.call("GET", path, "housing").status_code == 404, "a liaison of another unit"
    assert api.call("GET", path, "admin1").status_code == 404, "三员分立: an admin reads no evidence"
    assert api.call("GET", "/api/v1/files/" + "0" * 64, "fin").status_code == 404
    assert api.call("GET", "/api/v1/files/not-a-hash", "fin").status_code == 404


def test_evidence_must_name_an_uploaded_file_the_reporter_may_read(api):
    task_id = assign(api)
    url = f"/api/v1/tasks/{task_id}"
    api.call("POST", f"{url}/acknowledgements", "fin")
    unknown = api.call("POST", f"{url}/progress", "fin",
                       json={"percent": 10, "text": "x", "evidence": [{"name": "a.pdf", "sha256": "ab" * 32}]})
    assert unknown.status_code == 422 and "evidence.0.sha256" in unknown.get_json()["errors"]
    others = api.upload("housing", "别人的.pdf", b"housing's own")
    borrowed = api.call("POST", f"{url}/completion-request", "fin", json={"summary": "完成", "evidence": [others]})
    assert borrowed.status_code == 422, "naming another unit's upload does not open it up"
    mine = api.upload("fin", "完成报告.pdf", b"done")
    assert api.call("POST", f"{url}/completion-request", "fin",
                    json={"summary": "完成", "evidence": [mine]}).status_code == 201


def test_uploads_above_the_limit_are_413_and_need_a_role_and_a_file(api, app):
    ledger = app.extensions["ledger"]
    ledger.upload_limit = 2048
    assert post_file(api, "fin", "大文件.pdf", b"x" * 2048).status_code == 201
    too_big = post_file(api, "fin", "大文件.pdf", b"x" * 2049)
    assert too_big.status_code == 413 and too_big.get_json()["code"] == 413
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
            + b"x" * (2 * 1024 * 1024) + b"\r\n--b--\r\n")
    far_too_big = api.call("POST", "/api/v1/files", "fin", data=body, content_type="multipart/form-data; boundary=b")
    assert far_too_big.status_code == 413, "refused by the body limit before the file is read"
    assert post_file(api, "admin1", "a.pdf", b"x").status_code == 403
    assert api.call("POST", "/api/v1/files", "fin", data={}, content_type="multipart/form-data").status_code == 422
    assert post_file(api, "fin", "空.pdf", b"").status_code == 422
    assert app.test_client().post("/api/v1/files").status_code == 401
