"""The Chinese words the documents use for codes, figures and instants (one place, shared by all formats)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from domain.categories import CATEGORIES
from domain.deadlines import SHANGHAI
from domain.charter import GROUP_NAME, UNITS_BY_CODE

ISSUER = GROUP_NAME
"""发文机关: the group as its charter (seed 002) names it."""
ISSUER_OFFICE = f"{GROUP_NAME.removeprefix('温州市')}办公室"
"""印发机关: the group's office (协调组办公室) prints and sends the report."""

STATUS_NAMES = {"assigned": "待签收", "in_progress": "办理中", "completion_requested": "待审核办结",
                "completed": "已办结", "cancelled": "已撤销"}
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
LIGHT_COLOURS = {"red": "E53935", "yellow": "FDD835", "green": "43A047"}
SOURCE_NAMES = {"resolution": "会议议定事项", "plan": "工作方案", "instruction": "领导批示"}

TOTALS = (
    ("meetings_held", "召开会议(次)"),
    ("plenary_meetings", "其中全体会议(次)"),
    ("office_meetings", "其中办公室成员工作会议(次)"),
    ("resolutions_adopted", "形成议定事项(项)"),
    ("tasks_assigned", "交办督办事项(项)"),
    ("tasks_completed", "办结(项)"),
    ("tasks_completed_on_time", "其中按期办结(项)"),
    ("tasks_overdue", "逾期未办结(项)"),
    ("tasks_in_progress", "在办(项)"),
    ("extensions_approved", "批准延期(项)"),
    ("urgings", "催办(次)"),
)
UNIT_COLUMNS = (
    ("lead_tasks", "牵头事项"),
    ("co_tasks", "配合事项"),
    ("completed", "办结"),
    ("completed_on_time", "按期办结"),
    ("overdue", "逾期"),
    ("on_time_rate", "按期办结率"),
    ("urgings_received", "被催办"),
)
CATEGORY_COLUMNS = (("assigned", "交办"), ("completed", "办结"), ("overdue", "逾期"))


def unit_name(code: str) -> str:
    unit = UNITS_BY_CODE.get(code)
    return unit.name if unit else code


def category_name(code: str | None) -> str:
    return CATEGORIES.get(code or "", code or "")


def rate(value: float | None) -> str:
    """按期办结率 as the report gives it (a ratio, or none when nothing was completed)."""
    return "—" if value is None else f"{value * 100:.1f}%"


def period_name(code: str) -> str:
    """2026H1 → 2026年上半年."""
    return f"{code[:4]}年{'上' if code.endswith('H1') else '下'}半年"


def period_span(code: str) -> str:
    year = int(code[:4])
    return f"{year}年1月1日至6月30日" if code.endswith("H1") else f"{year}年7月1日至12月31日"


def instant(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(SHANGHAI)


def date_name(value: str | datetime) -> str:
    """成文日期 style: 2026年7月3日 (Arabic numerals, GB/T 9704-2012 7.3.5.2)."""
    moment = instant(value)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def instant_name(value: str | datetime) -> str:
    moment = instant(value)
    return f"{date_name(moment)}{moment.hour}时{moment.minute:02d}分"


def is_issued(report: dict[str, Any]) -> bool:
    return "issued_at" in report


def document_number(report: dict[str, Any]) -> str:
    """发文字号: one supervision report per half-year, numbered by the half."""
    code = report["period"]
    return f"鹿文协督〔{code[:4]}〕{code[-1]}号"


def title(report: dict[str, Any]) -> str:
    return (f"{ISSUER}关于{period_name(report['period'])}国家公共文化服务体系示范区创建工作"
            f"督查情况的报告")


def display_width(text: str) -> int:
    """Columns a text takes in a fixed-width grid: CJK (wide, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def file_name(report: dict[str, Any], extension: str) -> str:
    status = "" if is_issued(report) else "(草稿)"
    return f"{period_name(report['period'])}督查报告{status}.{extension}"


def recipients(report: dict[str, Any]) -> dict[str, list[str]]:
    """送 and 抄报: frozen into an issued report; a draft takes the charter's."""
    from domain.reports import RECIPIENTS

    return report.get("recipients") or RECIPIENTS


def fixed_instant(report: dict[str, Any]) -> datetime:
    """The one instant every timestamp inside a file takes: when the report was issued, or its as-of."""
    return instant(report.get("issued_at") or report["as_of"])


def provenance(report: dict[str, Any], sha256: str) -> str:
    """The footer line: where in the log the figures stand and the hash of the report's JSON."""
    kind = "印发版" if is_issued(report) else "草稿"
    return f"{kind} · 台账位置 {report['log_position']} · SHA-256 {sha256}"


def overall(report: dict) -> str:
    """一、总体情况: the totals in one paragraph, the same words in the 公文 and the PDF."""
    t = report["totals"]
    text = (f"截至{instant_name(report['as_of'])},本期共召开协调组会议{t['meetings_held']}次,其中全体会议"
            f"{t['plenary_meetings']}次、办公室成员工作会议{t['office_meetings']}次,形成议定事项{t['resolutions_adopted']}项;"
            f"交办督办事项{t['tasks_assigned']}项,办结{t['tasks_completed']}项,其中按期办结{t['tasks_completed_on_time']}项;"
            f"在办{t['tasks_in_progress']}项,其中逾期未办结{t['tasks_overdue']}项;批准延期{t['extensions_approved']}项,"
            f"催办{t['urgings']}次。")
    if "lights" in report:
        lights = report["lights"]
        text += f"在办事项中,红灯{lights['red']}项、黄灯{lights['yellow']}项、绿灯{lights['green']}项。"
    return text
