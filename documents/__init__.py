"""Documents officials hand on: the supervision report as a Word 公文, an Excel 台账 and a PDF, and the task
register as a spreadsheet — each made from plain dicts (the report's JSON) and returned as bytes.

This package imports `domain` only; it never computes a figure of its own.
"""


from functools import lru_cache
from typing import Any


def render(report: dict[str, Any], digest: str, fmt: str) -> bytes:
    """The report as a document of `fmt` (docx, xlsx or pdf); each renderer's library is imported at its first use."""
    if fmt == "docx":
        from documents.docx_report import render as renderer
    elif fmt == "xlsx":
        from documents.xlsx_register import report_workbook as renderer
    elif fmt == "pdf":
        from documents.pdf_report import render as renderer
    else:
        raise ValueError(f"no document format {fmt!r}")
    return renderer(report, digest)


@lru_cache(maxsize=24)
def issued_document(content: str, fmt: str) -> bytes:
    """One document of an issued report. It depends on the frozen JSON alone (byte-identical every time), so one
    rendering serves every request, bundle and backup of this process: a PDF takes seconds to subset its fonts."""
    import json

    from domain.reports import sha256

    return render(json.loads(content), sha256(content), fmt)


def issued_files(content: str) -> dict[str, bytes]:
    """An issued report's three documents from its frozen JSON (the audit bundle's documents/), by file name."""
    import json

    from documents.labels import file_name

    report = json.loads(content)
    return {file_name(report, fmt): issued_document(content, fmt) for fmt in ("docx", "xlsx", "pdf")}
