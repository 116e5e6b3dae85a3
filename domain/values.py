"""Checks for the values commands carry; each failure names its field (→ 422)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.categories import CATEGORY_CODES
from domain.errors import InvalidValue
from domain.charter import UNIT_CODES

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def text(field: str, value: Any, *, max_length: int = 2000, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(field, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidValue(field, "must not be empty")
    if len(value) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return value


def unit_code(field: str, value: Any) -> str:
    if value not in UNIT_CODES:
        raise InvalidValue(field, f"unknown unit code {value!r}")
    return value


def category(field: str, value: Any) -> str:
    if value not in CATEGORY_CODES:
        raise InvalidValue(field, f"unknown category {value!r}; one of {', '.join(CATEGORY_CODES)}")
    return value


def a_date(field: str, value: Any) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidValue(field, "must be a date")
    return value


def percent(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidValue(field, "must be a whole number from 0 to 100")
    return value


def evidence(field: str, items: Any) -> list[dict[str, str]]:
    """Evidence references: [{name, sha256}] — the files themselves live outside the log."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidValue(field, "must be a list of {name, sha256}")
    checked = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"name", "sha256"}:
            raise InvalidValue(f"{field}.{index}", "must be {name, sha256}")
        name = text(f"{field}.{index}.name", item["name"], max_length=255)
        digest = item["sha256"]
        if not isinstance(digest, str) or not SHA256.match(digest.lower()):
            raise InvalidValue(f"{field}.{index}.sha256", "must be 64 hexadecimal characters")
        checked.append({"name": name, "sha256": digest.lower()})
    return checked
