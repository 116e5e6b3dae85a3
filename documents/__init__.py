"""Documents officials hand on: the supervision report as a Word 公文, an Excel 台账 and a PDF, and the task
register as a spreadsheet — each made from plain dicts (the report's JSON) and returned as bytes.

This package imports `domain` only; it never computes a figure of its own.
"""


def issued_files(content: str) -> dict[str, bytes]:
    """An issued report's three documents from its frozen JSON (the audit bundle's documents/), by file name."""
    import json

    from documents import docx_report, pdf_report, xlsx_register
    from documents.labels import file_name
    from domain.reports import sha256

    report, digest = json.loads(content), sha256(content)
    return {file_name(report, fmt): render(report, digest) for fmt, render in
            (("docx", docx_report.render), ("xlsx", xlsx_register.report_workbook), ("pdf", pdf_report.render))}
