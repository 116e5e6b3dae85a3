"""The supervision report as a Word 公文 (python-docx), laid out after GB/T 9704-2012 党政机关公文格式.

A4, version area 156 × 225 mm; red 发文机关标志 and separator line; 发文字号; title in 方正小标宋简体 二号;
主送机关; body in 仿宋_GB2312 三号 with 黑体 first-level and 楷体_GB2312 second-level headings; 附件说明,
署名 and 成文日期; the charts as the 附件; 版记 with 抄报 and 印发机关/印发日期; page numbers "— n —" (odd
pages right, even pages left), and under them the log position and SHA-256 the figures come from. The
fonts are named in the file (w:eastAsia included) — a reader's Word substitutes what it lacks.

Long because a 公文 is one layout read top to bottom, 版头 to 版记; split, the standard's parts would scatter.
"""

from __future__ import annotations

import io
from datetime import timezone
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from documents import charts, labels
from documents.packaging import repack

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
LATIN = "Times New Roman"
SANHAO, SIHAO, ERHAO, XIAOSI, WUHAO = Pt(16), Pt(14), Pt(22), Pt(12), Pt(10.5)
LINE = Pt(28.95)  # 22 lines in the 225 mm version area
RED = RGBColor(0xFF, 0x00, 0x00)
INDENT = Pt(32)  # two characters of 三号
ORDINALS = "一二三四五六七八九十"


def _font(run, east_asian: str, size, *, bold: bool = False, colour: RGBColor | None = None, latin: str = LATIN):
    """Name the font for Latin and East-Asian text (w:ascii/w:hAnsi and w:eastAsia)."""
    run.font.name = latin
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    return run


def _paragraph(container, text: str = "", *, font: str = FANGSONG, size=SANHAO, align=None, indent=INDENT,
               bold: bool = False, colour: RGBColor | None = None, line=LINE, before=Pt(0), after=Pt(0)):
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = indent
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before, fmt.space_after = before, after
    if text:
        _font(paragraph.add_run(text), font, size, bold=bold, colour=colour)
    return paragraph


def _border(paragraph, side: str, *, size: int, colour: str) -> None:
    """A line along one side of a paragraph (the red separator line; sizes in eighths of a point)."""
    p_pr = paragraph._element.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(size)), ("space", "1"), ("color", colour)):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)


def _field(paragraph, instruction: str, font: str, size) -> None:
    """A Word field (PAGE) in a paragraph: begin, instruction, separate, placeholder, end."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        run = _font(paragraph.add_run(), font, size, latin=font)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._element.append(instr)
        else:
            run.text = text


def _page_setup(document, report: dict[str, Any], sha256: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(12)
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        number = footer.paragraphs[0]
        number.paragraph_format.alignment = align
        # 单页码居右空一字,双页码居左空一字 (GB/T 9704-2012 7.5)
        number.paragraph_format.right_indent = SIHAO if align == WD_ALIGN_PARAGRAPH.RIGHT else None
        number.paragraph_format.left_indent = SIHAO if align == WD_ALIGN_PARAGRAPH.LEFT else None
        _font(number.add_run("— "), SONGTI, SIHAO, latin=SONGTI)
        _field(number, "PAGE", SONGTI, SIHAO)
        _font(number.add_run(" —"), SONGTI, SIHAO, latin=SONGTI)
        line = footer.add_paragraph()
        line.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(line.add_run(labels.provenance(report, sha256)), FANGSONG, Pt(7.5), colour=RGBColor(0x59, 0x59, 0x59))


def _styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = LATIN, SANHAO
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    normal.paragraph_format.space_after = Pt(0)


def _masthead(document, report: dict[str, Any]) -> None:
    """版头: 发文机关标志 in red, two blank lines, 发文字号, the red separator line."""
    _paragraph(document, labels.ISSUER, font=XIAOBIAOSONG, size=ERHAO, colour=RED, indent=None,
               align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(40), before=Pt(24))
    _paragraph(document)
    number = _paragraph(document, labels.document_number(report), indent=None, align=WD_ALIGN_PARAGRAPH.CENTER)
    _border(number, "bottom", size=12, colour="FF0000")
    _paragraph(document)


def _heading(document, text: str) -> None:
    _paragraph(document, text, font=HEITI)


def _lead_in(document, heading: str, text: str) -> None:
    """A second-level heading (楷体) followed by its text in the same paragraph."""
    paragraph = _paragraph(document)
    _font(paragraph.add_run(heading), KAITI, SANHAO)
    _font(paragraph.add_run(text), FANGSONG, SANHAO)


def _table(document, headers: list[str], rows: list[list[Any]], widths_mm: list[float]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header_row = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    for i, text in enumerate(headers):
        _cell(header_row.cells[i], text, HEITI, WD_ALIGN_PARAGRAPH.CENTER)
    for row in rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            _cell(cells[i], str(value), FANGSONG, WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)  # the grid, which LibreOffice follows
        for cell in column.cells:
            cell.width = Mm(width)  # the cells, which Word follows


def _cell(cell, text: str, font: str, align) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.alignment = align
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = None
    _font(paragraph.add_run(text), font, WUHAO)


def _caption(document, text: str) -> None:
    _paragraph(document, text, font=HEITI, size=XIAOSI, indent=None, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(24),
               before=Pt(6))


def _body(document, report: dict[str, Any]) -> None:
    period = labels.period_name(report["period"])
    _paragraph(document, (f"根据《温州市鹿城区公共文化服务体系建设协调机制工作方案》(温鹿政办〔2019〕61号)“每半年开展一次检查,"
                          f"形成报告”的要求,现将{period}({labels.period_span(report['period'])})国家公共文化服务体系示范区"
                          "创建工作责任单位任务落实督查情况报告如下:"))

    _heading(document, "一、总体情况")
    overall = labels.overall(report)
    _paragraph(document, overall)

    _heading(document, "二、各成员单位落实情况")
    _paragraph(document, f"{len(report['units'])}个成员单位牵头、配合督办事项的办理情况见表1(按成员单位职责分工顺序排列,"
                         "按期办结率为按期办结数占办结数的比例)。")
    _caption(document, "表1  各成员单位落实情况")
    _table(document, ["序号", "成员单位", *(name for _, name in labels.UNIT_COLUMNS)],
           [[n, labels.unit_name(u["unit"]), *(labels.rate(u[k]) if k == "on_time_rate" else u[k]
                                               for k, _ in labels.UNIT_COLUMNS)]
            for n, u in enumerate(report["units"], start=1)],
           [10, 46, 13, 13, 11, 13, 11, 20, 13])
    _paragraph(document)

    _heading(document, "三、分类推进情况")
    for n, c in enumerate(report["categories"]):
        _lead_in(document, f"({ORDINALS[n]}){labels.category_name(c['category'])}。",
                 f"交办{c['assigned']}项,办结{c['completed']}项,逾期{c['overdue']}项。")

    _heading(document, "四、存在问题")
    problems = report["problems"]
    if problems:
        _paragraph(document, f"截至{labels.instant_name(report['as_of'])},共有{len(problems)}项督办事项逾期未办结:")
        for n, p in enumerate(problems, start=1):
            _paragraph(document, f"{n}.{p['title']}(牵头单位:{labels.unit_name(p['lead_unit'])},逾期{p['overdue_days']}天)。")
    else:
        _paragraph(document, "本期无逾期未办结的督办事项。")

    _heading(document, "五、下步工作")
    narrative = report.get("narrative")
    lines = [line.strip() for line in (narrative or "").splitlines() if line.strip()]
    for line in lines or ["(草稿:下步工作在印发时填写。)"]:
        _paragraph(document, line)


def _closing(document, report: dict[str, Any]) -> None:
    """附件说明, 发文机关署名, 成文日期."""
    _paragraph(document)
    _paragraph(document, "附件:督查统计图表")
    _paragraph(document)
    _paragraph(document)
    _paragraph(document, labels.ISSUER, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=None).paragraph_format.right_indent = Pt(16)
    dated = labels.date_name(report.get("issued_at") or report["as_of"])
    if not labels.is_issued(report):
        dated = f"{dated}(草稿,未印发)"
    _paragraph(document, dated, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=None).paragraph_format.right_indent = Pt(64)


def _annex(document, report: dict[str, Any]) -> None:
    """附件: the charts, each on the page it needs."""
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _paragraph(document, "附件", font=HEITI, indent=None)
    _paragraph(document, "督查统计图表", font=XIAOBIAOSONG, size=ERHAO, indent=None, align=WD_ALIGN_PARAGRAPH.CENTER,
               line=Pt(40), after=Pt(12))
    names = charts.available(report)
    for i, name in enumerate(names):
        picture = document.add_paragraph()
        picture.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        width = {"units": Mm(128), "categories": Mm(150), "lights": Mm(110)}[name]
        picture.add_run().add_picture(io.BytesIO(charts.render(report, name, "png")), width=width)
        if name == "units" and i + 1 < len(names):
            picture.add_run().add_break(WD_BREAK.PAGE)


def _record(document, report: dict[str, Any]) -> None:
    """版记: 抄报 and 印发机关/印发日期 between a thick line, a thin line and a thick line."""
    _paragraph(document)
    recipients = labels.recipients(report)
    copy = _paragraph(document, indent=None, line=Pt(24))
    _border(copy, "top", size=8, colour="000000")
    _border(copy, "bottom", size=4, colour="000000")
    copy.paragraph_format.left_indent = copy.paragraph_format.right_indent = SIHAO
    _font(copy.add_run(f"抄报:{','.join(recipients['cc'])}。"), FANGSONG, SIHAO)
    printed = _paragraph(document, indent=None, line=Pt(24))
    _border(printed, "bottom", size=8, colour="000000")
    printed.paragraph_format.left_indent = printed.paragraph_format.right_indent = SIHAO
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(156) - SIHAO, WD_TAB_ALIGNMENT.RIGHT)  # at the right indent
    day = labels.date_name(report.get("issued_at") or report["as_of"])
    _font(printed.add_run(f"{labels.ISSUER_OFFICE}\t{day}印发"), FANGSONG, SIHAO)


def render(report: dict[str, Any], sha256: str) -> bytes:
    """The report as a .docx: same report, same bytes."""
    document = Document()
    _styles(document)
    _page_setup(document, report, sha256)
    _masthead(document, report)
    _paragraph(document, labels.title(report), font=XIAOBIAOSONG, size=ERHAO, indent=None,
               align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    _paragraph(document)
    recipients = labels.recipients(report)
    _paragraph(document, f"{'、'.join(recipients['to'])}:", indent=None)
    _body(document, report)
    _closing(document, report)
    _annex(document, report)
    _record(document, report)

    when = labels.fixed_instant(report)
    props = document.core_properties
    props.title = labels.title(report)
    props.subject = f"{labels.period_name(report['period'])}督查报告"
    props.author = props.last_modified_by = labels.ISSUER_OFFICE
    props.category = "督查报告"
    props.keywords = f"log_position={report['log_position']}; sha256={sha256}"
    props.comments = labels.provenance(report, sha256)
    props.identifier = sha256
    props.revision = 1
    props.created = props.modified = props.last_printed = when.astimezone(timezone.utc)
    out = io.BytesIO()
    document.save(out)
    return repack(out.getvalue(), when)
