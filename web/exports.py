"""Documents as HTTP answers: the supervision report (draft or issued) as DOCX/XLSX/PDF, and the task
register as XLSX — shared by the API and the report page, so both hand out the same bytes.

The renderers (python-docx, openpyxl, fpdf2 and matplotlib behind them) are imported at a process's first
document, not with the app: they took most of the time each web process spent starting.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Response

import documents
from documents.labels import file_name
from domain.reports import Period, canonical, sha256
from web import reporting
from web.runtime import ledger, views

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def attachment(body: bytes, mimetype: str, name: str, fallback: str, headers: dict[str, str] | None = None
                ) -> Response:
    """A download named in Chinese (RFC 5987 filename*) with an ASCII name for older clients."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition, **(headers or {})})


def _send(report: dict[str, Any], digest: str, fmt: str, body: bytes) -> Response:
    draft = "" if "issued_at" in report else "-draft"
    return attachment(body, FORMATS[fmt], file_name(report, fmt),
                       f"supervision-report-{report['period']}{draft}.{fmt}",
                       {"X-Report-SHA256": digest, "X-Log-Position": str(report["log_position"])})


def draft_document(period: str, fmt: str) -> Response:
    """The report as of now (not frozen: its SHA-256 is that of the draft's canonical JSON)."""
    with views() as conn:
        report = reporting.draft_report(ledger(), conn, period)
    digest = sha256(canonical(report))
    return _send(report, digest, fmt, documents.render(report, digest, fmt))


def issued_document(period: str, fmt: str) -> Response:
    """The issued report's document, made from its frozen JSON only: the same bytes every time."""
    issued = ledger().issued_report(Period.parse(period))
    report = json.loads(issued.content)
    return _send(report, issued.sha256, fmt, documents.issued_document(issued.content, fmt))


def register_document(tasks: list[dict[str, Any]], filters: dict[str, Any], now: datetime) -> Response:
    """督办台账 as a workbook: the register as the caller may read it, as of `as_of` or now."""
    from documents import xlsx_register

    as_of = filters.get("as_of") or now
    body = xlsx_register.register_workbook(tasks, as_of=as_of, log_position=ledger().position(), filters=filters)
    stamp = as_of.strftime("%Y%m%d")
    return attachment(body, FORMATS["xlsx"], f"督办台账{stamp}.xlsx", f"task-register-{stamp}.xlsx")
