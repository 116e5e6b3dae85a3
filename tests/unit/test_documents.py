"""The report's documents, opened with their own libraries: every figure of the JSON report, the
recipients, the period and the provenance (log position, SHA-256); the same report, the same bytes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from documents import charts, docx_report, fonts, labels, pdf_report, xlsx_register
from domain.categories import CATEGORIES
from domain.charter import UNITS_BY_CODE
from tests.report_sample import sample_report, sample_sha256

needs_fonts = pytest.mark.skipif(not fonts.available() and not os.environ.get("CI"),
                                 reason="no CJK font: apt-get install fonts-noto-cjk (.ci/run does)")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext missing: apt-get install poppler-utils (.ci/run does)")


def issued(report: dict, fmt: str) -> bytes:
    """The report's document as the service renders an issued one: once per process (documents.issued_document)."""
    import documents
    from domain.reports import canonical

    return documents.issued_document(canonical(report), fmt)


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def digest(report):
    return sample_sha256(report)


def expected_phrases(report) -> list[str]:
    """What a reader must find in the report's text: every figure, in the words the documents use."""
    t = report["totals"]
    found = [f"召开协调组会议{t['meetings_held']}次", f"全体会议{t['plenary_meetings']}次",
             f"办公室成员工作会议{t['office_meetings']}次", f"形成议定事项{t['resolutions_adopted']}项",
             f"交办督办事项{t['tasks_assigned']}项", f"办结{t['tasks_completed']}项",
             f"按期办结{t['tasks_completed_on_time']}项", f"在办{t['tasks_in_progress']}项",
             f"逾期未办结{t['tasks_overdue']}项", f"批准延期{t['extensions_approved']}项", f"催办{t['urgings']}次",
             f"红灯{report['lights']['red']}项", f"黄灯{report['lights']['yellow']}项",
             f"绿灯{report['lights']['green']}项"]
    for c in report["categories"]:
        found.append(f"{CATEGORIES[c['category']]}。交办{c['assigned']}项,办结{c['completed']}项,逾期{c['overdue']}项。")
    for p in report["problems"]:
        found.append(f"{p['title']}(牵头单位:{UNITS_BY_CODE[p['lead_unit']].name},逾期{p['overdue_days']}天)")
    return found


def unit_rows(report) -> list[list[str]]:
    return [[str(n), UNITS_BY_CODE[u["unit"]].name, *(labels.rate(u[k]) if k == "on_time_rate" else str(u[k])
                                                      for k, _ in labels.UNIT_COLUMNS)]
            for n, u in enumerate(report["units"], start=1)]


# --- Word 公文 -----------------------------------------------------------------------------------

@needs_fonts
def test_the_word_report_carries_every_figure_the_recipients_and_its_provenance(report, digest):
    document = Document(io.BytesIO(docx_report.render(report, digest)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.startswith(labels.ISSUER)
    assert "鹿文协督〔2026〕1号" in text and "2026年上半年" in text and "2026年1月1日至6月30日" in text
    assert "国家公共文化服务体系示范区创建工作办公室:" in text
    assert "抄报:温州市人民政府,温州市文化广电和旅游局,温州市财政局。" in text
    assert "2026年7月3日印发" in text
    for phrase in expected_phrases(report):
        assert phrase in text, phrase
    for line in report["narrative"].splitlines():
        assert line in text
    for heading in ("一、总体情况", "二、各成员单位落实情况", "三、分类推进情况", "四、存在问题", "五、下步工作"):
        assert heading in text
    [units] = document.tables
    assert [[c.text for c in row.cells] for row in units.rows[1:]] == unit_rows(report)
    assert len(units.rows) == 27

    footer = "\n".join(p.text for p in document.sections[0].footer.paragraphs)
    assert f"台账位置 {report['log_position']}" in footer and digest in footer and "PAGE" in document.sections[0].footer._element.xml
    props = document.core_properties
    assert props.identifier == digest and f"log_position={report['log_position']}" in props.keywords
    assert props.created == props.modified == labels.fixed_instant(report)


@needs_fonts
def test_the_word_report_names_the_fonts_of_the_standard_for_east_asian_text(report, digest):
    document = Document(io.BytesIO(docx_report.render(report, digest)))
    by_text: dict = {}
    for paragraph in document.paragraphs:
        by_text.setdefault(paragraph.text, paragraph)  # the first: the masthead, not the signature

    def east_asian(paragraph) -> str:
        return paragraph.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asian(by_text[labels.ISSUER]) == "方正小标宋简体"
    assert by_text[labels.ISSUER].runs[0].font.color.rgb == docx_report.RED
    title = by_text[labels.title(report)]
    assert east_asian(title) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    assert east_asian(by_text["一、总体情况"]) == "黑体"
    category = next(p for p in document.paragraphs if p.text.startswith("(一)"))
    assert east_asian(category) == "楷体_GB2312" and category.runs[1]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    body = next(p for p in document.paragraphs if p.text.startswith("截至"))
    assert east_asian(body) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_a_draft_says_it_is_a_draft_and_names_the_charters_recipients():
    draft = sample_report(issued=False)
    document = Document(io.BytesIO(docx_report.render(draft, sample_sha256(draft))))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "草稿" in text and "国家公共文化服务体系示范区创建工作办公室:" in text and "温州市财政局" in text
    assert "草稿" in "\n".join(p.text for p in document.sections[0].footer.paragraphs)


# --- Excel 台账 ----------------------------------------------------------------------------------

def test_the_workbook_has_one_sheet_per_view_with_every_figure_and_the_provenance(report, digest):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_register.report_workbook(report, digest)))
    assert book.sheetnames == ["报告信息", "成员单位", "分类推进", "存在问题"]
    facts = {row[0]: row[1] for row in book["报告信息"].iter_rows(min_row=2, values_only=True)}
    assert facts["台账位置"] == report["log_position"] and facts["SHA-256"] == digest
    assert facts["主送"] == "国家公共文化服务体系示范区创建工作办公室"
    assert facts["抄报"] == "温州市人民政府、温州市文化广电和旅游局、温州市财政局"
    assert facts["报告期"].startswith("2026年上半年") and facts["统计截至"] == "2026年7月1日0时00分"
    for key, name in labels.TOTALS:
        assert facts[name] == report["totals"][key]
    assert facts["在办事项红灯(项)"] == report["lights"]["red"]

    units = list(book["成员单位"].iter_rows(min_row=2, values_only=True))
    assert [(n, name) for n, name, *_ in units] == [(i, UNITS_BY_CODE[u["unit"]].name)
                                                    for i, u in enumerate(report["units"], start=1)]
    for row, unit in zip(units, report["units"]):
        assert list(row[2:]) == [unit[k] if unit[k] is not None else "—" for k, _ in labels.UNIT_COLUMNS]
    categories = list(book["分类推进"].iter_rows(min_row=2, values_only=True))
    assert [r[1:] for r in categories] == [(CATEGORIES[c["category"]], c["assigned"], c["completed"], c["overdue"])
                                           for c in report["categories"]]
    problems = book["存在问题"]
    assert [r[1:4] for r in problems.iter_rows(min_row=2, values_only=True)] == [
        (p["title"], UNITS_BY_CODE[p["lead_unit"]].name, p["overdue_days"]) for p in report["problems"]]
    assert problems["E2"].fill.fgColor.rgb.endswith(labels.LIGHT_COLOURS["red"])
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert book["成员单位"].column_dimensions["B"].width >= labels.display_width("区政府办公室(区大数据发展管理局)")
    assert book.properties.keywords == f"log_position={report['log_position']}; sha256={digest}"


def test_the_task_register_sheet_speaks_chinese_and_colours_the_lights():
    tasks = [{"id": "1", "title": "编制公共文化服务体系建设规划", "source": {"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
              "category": "policy", "lead_unit": "development-reform", "co_units": ["finance", "statistics"],
              "deadline": "2026-03-13", "effective_deadline": "2026-04-30", "status": "in_progress", "percent": 60,
              "light": "yellow", "overdue_days": 0},
             {"id": "2", "title": "文化礼堂建设", "source": {"kind": "resolution", "resolution_id": "x"},
              "category": "facilities", "lead_unit": "housing-construction", "co_units": [], "deadline": "2026-03-13",
              "effective_deadline": "2026-03-13", "status": "assigned", "percent": 0, "light": "red",
              "overdue_days": 110}]
    from datetime import datetime

    when = datetime.fromisoformat("2026-07-01T00:00:00+08:00")
    data = xlsx_register.register_workbook(tasks, as_of=when, log_position=99, filters={"category": None, "unit": "finance"})
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["督办台账"]
    assert [c.value for c in sheet[1]] == list(xlsx_register.TASK_HEADERS)
    first, second = (list(r) for r in sheet.iter_rows(min_row=2, values_only=True))
    assert first[1:6] == ["编制公共文化服务体系建设规划", "工作方案:温鹿政办〔2019〕61号", "重大政策、规划、标准", "区发改局",
                          "区财政局、区统计局"]
    assert first[6].date().isoformat() == "2026-03-13" and first[7].date().isoformat() == "2026-04-30"
    assert first[8:] == ["办理中", 60, "黄灯", 0] and second[8:] == ["待签收", 0, "红灯", 110]
    assert sheet["K2"].fill.fgColor.rgb.endswith(labels.LIGHT_COLOURS["yellow"])
    assert sheet["K3"].fill.fgColor.rgb.endswith(labels.LIGHT_COLOURS["red"])
    facts = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert facts["台账位置"] == 99 and facts["筛选条件"] == "单位:区财政局" and facts["事项数"] == 2
    assert data == xlsx_register.register_workbook(tasks, as_of=when, log_position=99,
                                                   filters={"category": None, "unit": "finance"})


# --- PDF -------------------------------------------------------------------------------------------

@needs_fonts
@needs_pdftotext
def test_the_pdf_report_reads_as_text_with_every_figure_and_its_provenance(report, digest, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(issued(report, "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for phrase in expected_phrases(report)[:14]:
        assert phrase in flat, phrase
    for c in report["categories"]:
        assert CATEGORIES[c["category"]] in flat
    for row in unit_rows(report):
        assert "".join(row) in flat, row
    for p in report["problems"]:
        assert p["title"] in flat and f"{p['overdue_days']}天" in flat
    assert "国家公共文化服务体系示范区创建工作办公室" in flat and "抄报:温州市人民政府,温州市文化广电和旅游局,温州市财政局。" in flat
    assert "2026年上半年" in flat and f"台账位置{report['log_position']}" in flat and digest in flat
    fonts_used = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSerifCJKSC" in fonts_used and " yes yes " in fonts_used  # embedded subsets


# --- the same report, the same bytes ------------------------------------------------------------------

@needs_fonts
@pytest.mark.parametrize("render", [docx_report.render, xlsx_register.report_workbook, pdf_report.render],
                         ids=["docx", "xlsx", "pdf"])
def test_the_same_report_gives_the_same_bytes_in_another_process(report, digest, render):
    fmt = {docx_report.render: "docx", xlsx_register.report_workbook: "xlsx", pdf_report.render: "pdf"}[render]
    here = issued(report, fmt)  # this process's rendering (made once, as the service makes an issued one)
    script = (f"import sys; from tests.report_sample import sample_report, sample_sha256; from {render.__module__} "
              f"import {render.__name__} as r; rep = sample_report(); sys.stdout.buffer.write(r(rep, sample_sha256(rep)))")
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True).stdout
    assert here == there
    if render is not pdf_report.render:
        with zipfile.ZipFile(io.BytesIO(here)) as archive:
            assert {i.date_time for i in archive.infolist()} == {(2026, 7, 3, 10, 30, 0)}


@needs_fonts
def test_charts_are_deterministic_svg_with_text_drawn_as_paths(report):
    for name in charts.CHARTS:
        svg = charts.svg(report, name)
        assert svg.startswith("<svg") and svg == charts.svg(report, name)
        assert "<dc:date>" not in svg
    assert charts.available({k: v for k, v in report.items() if k != "lights"}) == ("units", "categories")


@needs_fonts
def test_the_audit_bundle_gets_an_issued_reports_three_documents_by_chinese_name(report, digest):
    import documents
    from domain.reports import canonical

    content = canonical(report)
    files = documents.issued_files(content)
    assert sorted(files) == ["2026年上半年督查报告.docx", "2026年上半年督查报告.pdf", "2026年上半年督查报告.xlsx"]
    assert files["2026年上半年督查报告.xlsx"] == xlsx_register.report_workbook(report, digest)
