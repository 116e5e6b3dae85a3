"""Excel 台账 (openpyxl): the supervision report's sheets and the task register (督办台账).

One sheet per view, each with a frozen header row, an autofilter, column widths that fit Chinese text
and the warning lights as cell fills; a sheet stating the period, the as-of instant, the log position
and the SHA-256 the figures come from.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.worksheet.worksheet import Worksheet

from documents import labels
from documents.packaging import repack

FONT = "宋体"
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MAX_WIDTH = 60
TASK_HEADERS = ("序号", "督办事项", "来源", "类别", "牵头单位", "配合单位", "原定期限", "有效期限", "状态", "进度(%)",
                "灯色", "逾期天数")


def _width(value: Any) -> int:
    if isinstance(value, (date, datetime)):
        return 10
    if isinstance(value, float):
        return 7
    return max((labels.display_width(line) for line in str(value).split("\n")), default=0)


def _table(ws: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]], formats: dict[int, str] | None = None
           ) -> None:
    """Header, rows, frozen header, autofilter and widths (CJK characters count two columns)."""
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    widths = [_width(h) for h in headers]
    for row in rows:
        ws.append(list(row))
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _width(value))
    for cells in ws.iter_rows(min_row=2):
        for i, cell in enumerate(cells):
            cell.font = Font(name=FONT)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if formats and i in formats:
                cell.number_format = formats[i]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def _light(cell, light: str | None) -> None:
    if light in labels.LIGHT_COLOURS:
        cell.fill = PatternFill("solid", fgColor=labels.LIGHT_COLOURS[light])
        cell.alignment = Alignment(horizontal="center", vertical="top")


def _source(source: dict[str, Any]) -> str:
    kind = labels.SOURCE_NAMES.get(source.get("kind", ""), source.get("kind", ""))
    reference = source.get("reference")
    return f"{kind}:{reference}" if reference else kind


def _day(value: str | None) -> date | str:
    return date.fromisoformat(value) if value else ""


def tasks_sheet(ws: Worksheet, tasks: Sequence[dict[str, Any]]) -> None:
    """督办台账: the tasks as `GET /api/v1/tasks` gives them, one row each, lights as fills."""
    ws.title = "督办台账"
    rows = [(n, t["title"], _source(t.get("source") or {}), labels.category_name(t.get("category")),
             labels.unit_name(t["lead_unit"]), "、".join(labels.unit_name(c) for c in t.get("co_units", [])),
             _day(t.get("deadline")), _day(t.get("effective_deadline")),
             labels.STATUS_NAMES.get(t["status"], t["status"]), t.get("percent", 0),
             labels.LIGHT_NAMES.get(t.get("light") or "", "—"), t.get("overdue_days", 0))
            for n, t in enumerate(tasks, start=1)]
    _table(ws, TASK_HEADERS, rows, formats={6: "yyyy-mm-dd", 7: "yyyy-mm-dd"})
    for row, task in zip(ws.iter_rows(min_row=2, min_col=11, max_col=11), tasks):
        _light(row[0], task.get("light"))


def _facts(ws: Worksheet, title: str, facts: Sequence[tuple[str, Any]]) -> None:
    ws.title = title
    _table(ws, ("项目", "内容"), facts)


def _save(wb: Workbook, when: datetime, title: str, keywords: str, description: str) -> bytes:
    props = wb.properties
    props.creator = props.lastModifiedBy = labels.ISSUER_OFFICE
    props.title, props.keywords, props.description = title, keywords, description
    props.created = props.modified = when.astimezone(timezone.utc).replace(tzinfo=None)  # naive means UTC here
    out = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps `modified` with the time of saving.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return repack(out.getvalue(), when)


def report_workbook(report: dict[str, Any], sha256: str) -> bytes:
    """The supervision report as a workbook: its provenance and totals, units, categories, problems."""
    wb = Workbook()
    recipients = labels.recipients(report)
    facts = [("报告", labels.title(report)), ("发文字号", labels.document_number(report)),
             ("报告期", f"{labels.period_name(report['period'])}({labels.period_span(report['period'])})"),
             ("统计截至", labels.instant_name(report["as_of"])), ("台账位置", report["log_position"]),
             ("SHA-256", sha256), ("状态", "已印发" if labels.is_issued(report) else "草稿(未印发)")]
    if labels.is_issued(report):
        facts.append(("印发时间", labels.instant_name(report["issued_at"])))
    facts += [("主送", "、".join(recipients["to"])), ("抄报", "、".join(recipients["cc"]))]
    facts += [(name, report["totals"][key]) for key, name in labels.TOTALS]
    if "lights" in report:
        facts += [(f"在办事项{labels.LIGHT_NAMES[k]}(项)", report["lights"][k]) for k in ("red", "yellow", "green")]
    _facts(wb.active, "报告信息", facts)

    units = wb.create_sheet()
    units.title = "成员单位"
    _table(units, ("序号", "成员单位", *(name for _, name in labels.UNIT_COLUMNS)),
           [(n, labels.unit_name(u["unit"]), *(u[key] if u[key] is not None else "—" for key, _ in labels.UNIT_COLUMNS))
            for n, u in enumerate(report["units"], start=1)], formats={7: "0.0%"})

    categories = wb.create_sheet()
    categories.title = "分类推进"
    _table(categories, ("序号", "类别", *(name for _, name in labels.CATEGORY_COLUMNS)),
           [(n, labels.category_name(c["category"]), *(c[key] for key, _ in labels.CATEGORY_COLUMNS))
            for n, c in enumerate(report["categories"], start=1)])

    problems = wb.create_sheet()
    problems.title = "存在问题"
    _table(problems, ("序号", "逾期事项", "牵头单位", "逾期天数", "灯色"),
           [(n, p["title"], labels.unit_name(p["lead_unit"]), p["overdue_days"], labels.LIGHT_NAMES["red"])
            for n, p in enumerate(report["problems"], start=1)])
    for row in problems.iter_rows(min_row=2, min_col=5, max_col=5):
        _light(row[0], "red")

    return _save(wb, labels.fixed_instant(report), labels.title(report),
                 f"log_position={report['log_position']}; sha256={sha256}", labels.provenance(report, sha256))


FILTER_NAMES = {"unit": "单位", "role": "角色", "status": "状态", "overdue": "逾期", "category": "类别"}


def _filter_value(key: str, value: Any) -> str:
    if key == "unit":
        return labels.unit_name(value)
    if key == "role":
        return {"lead": "牵头", "co": "配合"}.get(value, value)
    if key == "status":
        return labels.STATUS_NAMES.get(value, value)
    if key == "category":
        return labels.category_name(value)
    if key == "overdue":
        return "是" if value else "否"
    return str(value)


def register_workbook(tasks: Sequence[dict[str, Any]], *, as_of: datetime, log_position: int,
                      filters: dict[str, Any]) -> bytes:
    """督办台账: the task register as of an instant, with the filters it was asked for."""
    wb = Workbook()
    tasks_sheet(wb.active, tasks)
    chosen = [f"{FILTER_NAMES[k]}:{_filter_value(k, v)}" for k, v in filters.items() if k in FILTER_NAMES and v is not None]
    facts = [("台账", f"{labels.ISSUER}督办台账"), ("截至", labels.instant_name(as_of)), ("台账位置", log_position),
             ("筛选条件", ";".join(chosen) or "全部事项"), ("事项数", len(tasks))]
    _facts(wb.create_sheet(), "说明", facts)
    return _save(wb, labels.instant(as_of), f"{labels.ISSUER}督办台账", f"log_position={log_position}",
                 f"截至{labels.instant_name(as_of)} · 台账位置 {log_position}")
