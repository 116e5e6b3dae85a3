"""Documents officials hand on: the supervision report as a Word 公文, an Excel 台账 and a PDF, and the task
register as a spreadsheet — each made from plain dicts (the report's JSON) and returned as bytes.

This package imports `domain` only; it never computes a figure of its own.
"""
