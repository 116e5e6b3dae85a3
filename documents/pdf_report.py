"""The supervision report as a PDF (fpdf2), set in Noto Serif/Sans CJK SC with subsets embedded, so it reads
the same on a machine with no Chinese font. The creation date is the report's instant, so the same report
gives the same bytes."""

from __future__ import annotations

import io
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from documents import charts, fonts, labels

RED = (255, 0, 0)
BODY = 12
LINE = 7.5
PT = 25.4 / 72  # millimetres in a point


class ReportPdf(FPDF):
    def __init__(self, footer_line: str):
        super().__init__(format="A4", unit="mm")
        self.footer_line = footer_line
        self.set_margins(28, 30, 26)
        self.set_auto_page_break(True, margin=28)
        # Only the faces used: fpdf2 parses a whole CJK font (~20 MB) for each.
        for family, style, name in (("serif", "", "serif"), ("sans", "B", "sans-bold")):
            face = fonts.face(name)
            self.add_font(family, style, str(face.path), collection_font_number=face.index)

    def footer(self) -> None:
        self.set_y(-22)
        self.set_font("serif", size=11)
        self.cell(0, 6, f"— {self.page_no()} —", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("serif", size=6.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, self.footer_line, align=Align.C)
        self.set_text_color(0, 0, 0)


def _text(pdf: FPDF, text: str, *, family: str = "serif", style: str = "", size: float = BODY, indent: bool = True,
          align: Align = Align.J, height: float = LINE) -> None:
    pdf.set_font(family, style, size)
    em = size * PT
    with pdf.text_columns(text_align=align, line_height=height / em, wrapmode=WrapMode.CHAR) as column:
        with column.paragraph(first_line_indent=2 * em if indent else 0) as paragraph:
            paragraph.write(text)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1.5)
    _text(pdf, text, family="sans", style="B", size=13)


def _table(pdf: FPDF, headers: list[str], rows: list[list[Any]], widths: tuple[float, ...], names: int = 1) -> None:
    """A table whose column `names` (a unit, a category, a task) reads from the left."""
    pdf.set_font("serif", size=9)
    align = tuple("LEFT" if i == names else "CENTER" for i in range(len(widths)))
    with pdf.table(col_widths=widths, text_align=align, wrapmode=WrapMode.CHAR, line_height=5.2, first_row_as_headings=True,
                   headings_style=FontFace(family="sans", emphasis="BOLD", fill_color=(230, 236, 245)),
                   repeat_headings=1) as table:
        table.row(headers)
        for row in rows:
            table.row([str(v) for v in row])
    pdf.ln(2)


def _chart(pdf: FPDF, report: dict[str, Any], name: str, width: float) -> None:
    image = charts.render(report, name, "png")
    pdf.image(io.BytesIO(image), x=(210 - width) / 2 + 1, w=width)
    pdf.ln(3)


def render(report: dict[str, Any], sha256: str) -> bytes:
    """The report as a PDF: the figures, the charts, the recipients, and the provenance in every footer."""
    pdf = ReportPdf(labels.provenance(report, sha256))
    when = labels.fixed_instant(report)
    pdf.set_creation_date(when)
    pdf.set_title(labels.title(report))
    pdf.set_subject(f"{labels.period_name(report['period'])}督查报告")
    pdf.set_author(labels.ISSUER_OFFICE)
    pdf.set_keywords(f"log_position={report['log_position']}; sha256={sha256}")
    pdf.set_creator(labels.ISSUER)
    pdf.set_lang("zh-CN")
    pdf.add_page()

    pdf.set_text_color(*RED)
    _text(pdf, labels.ISSUER, family="sans", style="B", size=20, indent=False, align=Align.C, height=12)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    _text(pdf, labels.document_number(report), indent=False, align=Align.C)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, 210 - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(6)
    _text(pdf, labels.title(report), family="sans", style="B", size=16, indent=False, align=Align.C, height=10)
    if not labels.is_issued(report):
        _text(pdf, "(草稿,未印发)", indent=False, align=Align.C)
    pdf.ln(4)
    recipients = labels.recipients(report)
    _text(pdf, f"{'、'.join(recipients['to'])}:", indent=False)

    t = report["totals"]
    _text(pdf, (f"现将{labels.period_name(report['period'])}({labels.period_span(report['period'])})国家公共文化服务"
                "体系示范区创建工作责任单位任务落实督查情况报告如下:"))
    _heading(pdf, "一、总体情况")
    overall = labels.overall(report)
    _text(pdf, overall)
    _table(pdf, ["指标", "数值"], [[name, t[key]] for key, name in labels.TOTALS], (70, 30), names=0)
    if "lights" in report:
        _chart(pdf, report, "lights", 95)

    _heading(pdf, "二、各成员单位落实情况")
    _table(pdf, ["序号", "成员单位", *(name for _, name in labels.UNIT_COLUMNS)],
           [[n, labels.unit_name(u["unit"]), *(labels.rate(u[k]) if k == "on_time_rate" else u[k]
                                               for k, _ in labels.UNIT_COLUMNS)]
            for n, u in enumerate(report["units"], start=1)],
           (9, 50, 13, 13, 11, 13, 11, 17, 13))
    _chart(pdf, report, "units", 135)

    _heading(pdf, "三、分类推进情况")
    _table(pdf, ["序号", "类别", *(name for _, name in labels.CATEGORY_COLUMNS)],
           [[n, labels.category_name(c["category"]), *(c[k] for k, _ in labels.CATEGORY_COLUMNS)]
            for n, c in enumerate(report["categories"], start=1)],
           (10, 80, 20, 20, 20))
    _chart(pdf, report, "categories", 150)

    _heading(pdf, "四、存在问题")
    problems = report["problems"]
    if problems:
        _text(pdf, f"截至{labels.instant_name(report['as_of'])},共有{len(problems)}项督办事项逾期未办结:")
        _table(pdf, ["序号", "逾期事项", "牵头单位", "逾期天数"],
               [[n, p["title"], labels.unit_name(p["lead_unit"]), f"{p['overdue_days']}天"]
                for n, p in enumerate(problems, start=1)], (10, 80, 46, 20))
    else:
        _text(pdf, "本期无逾期未办结的督办事项。")

    _heading(pdf, "五、下步工作")
    lines = [line.strip() for line in (report.get("narrative") or "").splitlines() if line.strip()]
    for line in lines or ["(草稿:下步工作在印发时填写。)"]:
        _text(pdf, line)

    pdf.ln(6)
    _text(pdf, labels.ISSUER, indent=False, align=Align.R)
    dated = labels.date_name(report.get("issued_at") or report["as_of"])
    _text(pdf, dated if labels.is_issued(report) else f"{dated}(草稿)", indent=False, align=Align.R)
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, y, 210 - pdf.r_margin, y)
    _text(pdf, f"抄报:{','.join(recipients['cc'])}。", indent=False, size=11)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, pdf.get_y(), 210 - pdf.r_margin, pdf.get_y())
    pdf.set_font("serif", size=11)
    pdf.cell(100, LINE, labels.ISSUER_OFFICE)
    pdf.cell(0, LINE, f"{labels.date_name(report.get('issued_at') or report['as_of'])}印发", align=Align.R,
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), 210 - pdf.r_margin, pdf.get_y())
    return bytes(pdf.output())
