"""Documents officials hand on: the supervision report as a Word 公文, an Excel 台账 and a PDF, and the task
register as a spreadsheet — each made from plain dicts (the report's JSON) and returned as bytes.

This package imports `domain` only; it never computes a figure of its own.
"""


from functools import lru_cache


@lru_cache(maxsize=24)
def issued_document(content: str, fmt: str) -> bytes:
    """One document of an issued report. It depends on the frozen JSON alone (byte-identical every time), so one
    rendering serves every request, bundle and backup of this process: a PDF takes seconds to subset its fonts."""
    import json

    from documents import docx_report, pdf_report, xlsx_register
    from domain.reports import sha256

    render = {"docx": docx_report.render, "xlsx": xlsx_register.report_workbook, "pdf": pdf_report.render}[fmt]
    return render(json.loads(content), sha256(content))


def issued_files(content: str) -> dict[str, bytes]:
    """An issued report's three documents from its frozen JSON (the audit bundle's documents/), by file name."""
    import json

    from documents.labels import file_name

    report = json.loads(content)
    return {file_name(report, fmt): issued_document(content, fmt) for fmt in ("docx", "xlsx", "pdf")}
