"""The report's documents and the task register over HTTP: who may fetch them, their names and types, the
figures of the JSON report inside them, and issued documents that are the same bytes every time — across
requests and across a restart of the app."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from datetime import datetime
from urllib.parse import unquote

import openpyxl
import pytest
from docx import Document

from documents import fonts
from tests.web.conftest import PASSWORD
from web import create_app

pytestmark = [pytest.mark.db, pytest.mark.skipif(not fonts.available(), reason="no CJK font: apt-get install fonts-noto-cjk")]

EXPORT = "/api/v1/reports/supervision/2026H1/export"
ISSUED = "/api/v1/reports/supervision/2026H1/issued/export"
TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


@pytest.fixture
def history(api, clock):
    """Two tasks: finance's is done on time; housing's passes its deadline untouched."""
    def assign(title, lead, due):
        response = api.call("POST", "/api/v1/tasks", "office1", json={
            "title": title, "source": {"kind": "plan", "reference": "工作方案"}, "category": "funding",
            "lead_unit": lead, "co_units": ["education"], "deadline": due})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    done = assign("出台基本公共文化服务保障标准", "finance", "2026-04-30")
    assign("农村文化礼堂建设规划", "housing-construction", "2026-03-13")
    clock.set(sh("2026-03-20T09:00:00"))
    api.tokens.clear()  # tokens last eight hours of the service clock
    assert api.call("POST", f"/api/v1/tasks/{done}/acknowledgements", "fin").status_code in (200, 201)
    assert api.call("POST", f"/api/v1/tasks/{done}/completion-request", "fin", json={"summary": "已出台"}).status_code in (200, 201)
    assert api.call("POST", f"/api/v1/tasks/{done}/completion-decision", "office1",
                    json={"accepted": True, "comment": "同意"}).status_code in (200, 201)
    clock.set(sh("2026-07-02T09:00:00"))
    api.tokens.clear()
    issued = api.call("POST", "/api/v1/reports/supervision/2026H1/issue", "dukao1",
                      json={"narrative": "一是督促逾期事项办结。\n二是按季度通报。"})
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()


def test_each_format_has_its_type_and_a_chinese_file_name_with_an_ascii_fallback(api, history):
    for fmt, mimetype in TYPES.items():
        response = api.call("GET", f"{ISSUED}?format={fmt}", "dukao1")
        assert response.status_code == 200 and response.mimetype == mimetype
        disposition = response.headers["Content-Disposition"]
        assert f'filename="supervision-report-2026H1.{fmt}"' in disposition
        assert unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)) == f"2026年上半年督查报告.{fmt}"
        assert response.headers["X-Report-SHA256"] == history["sha256"]
    draft = api.call("GET", f"{EXPORT}?format=xlsx", "office1")
    assert draft.status_code == 200 and "draft" in draft.headers["Content-Disposition"]


def test_the_issued_word_and_excel_documents_carry_the_figures_of_the_frozen_report(api, history):
    frozen = api.call("GET", "/api/v1/reports/supervision/2026H1/issued", "dukao1").get_json()
    t = frozen["totals"]
    assert (t["tasks_assigned"], t["tasks_completed"], t["tasks_overdue"]) == (2, 1, 1)
    document = Document(io.BytesIO(api.call("GET", f"{ISSUED}?format=docx", "dukao1").data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"交办督办事项{t['tasks_assigned']}项,办结{t['tasks_completed']}项,其中按期办结{t['tasks_completed_on_time']}项" in text
    assert "农村文化礼堂建设规划(牵头单位:区住建局,逾期" in text and "一是督促逾期事项办结。" in text
    assert "国家公共文化服务体系示范区创建工作办公室:" in text and "温州市财政局" in text
    footer = "\n".join(p.text for p in document.sections[0].footer.paragraphs)
    assert f"台账位置 {history['log_position']}" in footer and history["sha256"] in footer
    assert document.core_properties.identifier == history["sha256"]

    book = openpyxl.load_workbook(io.BytesIO(api.call("GET", f"{ISSUED}?format=xlsx", "office1").data))
    facts = {row[0]: row[1] for row in book["报告信息"].iter_rows(min_row=2, values_only=True)}
    assert facts["SHA-256"] == history["sha256"] and facts["台账位置"] == history["log_position"]
    units = {row[1]: row[2:] for row in book["成员单位"].iter_rows(min_row=2, values_only=True)}
    assert len(units) == 26 and units["区财政局"][:4] == (1, 0, 1, 1)
    assert [r[1:4] for r in book["存在问题"].iter_rows(min_row=2, values_only=True)] == [
        (p["title"], "区住建局", p["overdue_days"]) for p in frozen["problems"]]


def test_issued_documents_are_the_same_bytes_across_requests_and_a_restart(api, app, runtime, history):
    first = {fmt: api.call("GET", f"{ISSUED}?format={fmt}", "dukao1").data for fmt in TYPES}
    again = {fmt: api.call("GET", f"{ISSUED}?format={fmt}", "office1").data for fmt in TYPES}
    settings = dataclasses.replace(runtime.settings, schema=runtime.schema)
    restarted = create_app({"TESTING": True, "SETTINGS": settings, "LEDGER": runtime.ledger})
    try:
        client = restarted.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "dukao1", "password": PASSWORD}).get_json()["token"]
        after = {fmt: client.get(f"{ISSUED}?format={fmt}", headers={"Authorization": f"Bearer {token}"}).data
                 for fmt in TYPES}
    finally:
        restarted.extensions["pool"].close()
    for fmt in TYPES:
        digests = {hashlib.sha256(found[fmt]).hexdigest() for found in (first, again, after)}
        assert len(digests) == 1, fmt


def test_a_liaison_gets_403_and_bad_queries_get_422_naming_the_field(api, history):
    for url in (EXPORT, ISSUED):
        assert api.call("GET", f"{url}?format=docx", "fin").status_code == 403
        assert api.call("GET", f"{url}?format=docx").status_code == 401
        bad = api.call("GET", f"{url}?format=odt", "office1")
        assert bad.status_code == 422 and "format" in bad.get_json()["errors"]
        unknown = api.call("GET", f"{url}?format=pdf&colour=red", "office1")
        assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]
    assert api.call("GET", "/api/v1/reports/supervision/2026H3/export?format=pdf", "office1").status_code == 422
    assert api.call("GET", "/api/v1/reports/supervision/2025H2/issued/export?format=pdf", "office1").status_code == 404


def test_the_task_register_export_follows_the_registers_filters_and_authorization(api, history):
    everything = api.call("GET", "/api/v1/tasks/export?format=xlsx", "office1")
    assert everything.status_code == 200 and everything.mimetype == TYPES["xlsx"]
    assert "filename*=UTF-8''" in everything.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(everything.data))["督办台账"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in rows} == {"出台基本公共文化服务保障标准", "农村文化礼堂建设规划"}
    late = next(r for r in rows if r[1] == "农村文化礼堂建设规划")
    assert late[4] == "区住建局" and late[5] == "区教育局" and late[8] == "待签收" and late[10] == "红灯"

    own = api.call("GET", "/api/v1/tasks/export?format=xlsx", "fin")
    mine = [r[1] for r in openpyxl.load_workbook(io.BytesIO(own.data))["督办台账"].iter_rows(min_row=2, values_only=True)]
    assert mine == ["出台基本公共文化服务保障标准"]
    assert api.call("GET", "/api/v1/tasks/export?format=xlsx&unit=housing-construction", "fin").status_code == 403
    past = api.call("GET", "/api/v1/tasks/export?format=xlsx&as_of=2026-03-10T00:00:00%2B08:00", "dukao1")
    sheet = openpyxl.load_workbook(io.BytesIO(past.data))["督办台账"]
    assert {r[8] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"待签收"}
    assert api.call("GET", "/api/v1/tasks/export?format=pdf", "office1").status_code == 422
    assert api.call("GET", "/api/v1/tasks/export?format=xlsx&x=1", "office1").status_code == 422


def sign_in(client, username: str):
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


def test_the_report_page_shows_the_figures_the_charts_and_the_documents_in_chinese(app, history):
    client = app.test_client()
    assert client.get("/reports/2026H1").status_code == 302  # to the login
    sign_in(client, "dukao1")
    page = client.get("/reports/2026H1").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "2026年上半年督查报告" in page
    assert "区住建局" in page and "农村文化礼堂建设规划" in page and "基层文化设施和项目" in page
    assert page.count("<svg") == 3 and history["sha256"] in page
    for fmt in TYPES:
        assert f"/reports/2026H1/issued/export.{fmt}" in page and f"/reports/2026H1/export.{fmt}" in page
    assert "半年督查报告" in page  # the navigation links to this page
    assert "2026年下半年督查报告" in client.get("/reports/").get_data(as_text=True)  # the half-year we are in
    issued = client.get("/reports/2026H1/issued/export.xlsx")
    assert issued.status_code == 200 and issued.mimetype == TYPES["xlsx"]

    liaison = app.test_client()
    sign_in(liaison, "fin")
    assert liaison.get("/reports/2026H1").status_code == 403
    assert liaison.get("/reports/2026H1/issued/export.pdf").status_code == 403
