"""The meeting pages' forms with rows (出席情况, 会议纪要 items and dissent, a task's milestones) read into the
API's bodies — and the API's field names mapped back to the form's, so that a refusal shows beside the field the
user filled. Blank rows are left out; a row's field is named like the API's field (items.0.title) when it can be.
"""

from __future__ import annotations

import re
from typing import Any

from domain import values
from domain.charter import UNIT_CODES

ATTENDANCE_CHOICES = (("present", "出席"), ("absent", "缺席"), ("", "不列入"))


def attendance(form) -> tuple[dict[str, Any], dict[str, str]]:
    """出席情况: one choice per unit (出席 / 缺席 with reason / 不列入) and the invited guests (列席), one a line."""
    present: list[str] = []
    absent: list[dict[str, str]] = []
    where: dict[str, str] = {"present": "_form"}
    for code in UNIT_CODES:
        choice = form.get(f"attendance-{code}", "")
        if choice == "present":
            present.append(code)
        elif choice == "absent":
            where[f"absent.{len(absent)}.reason"] = f"reason-{code}"
            where[f"absent.{len(absent)}.unit"] = f"attendance-{code}"
            absent.append({"unit": code, "reason": form.get(f"reason-{code}", "")})
    invited = [line.strip() for line in form.get("invited", "").splitlines() if line.strip()]
    where.update({f"invited.{i}": "invited" for i in range(len(invited))})
    return {"present": present, "absent": absent, "invited": invited}, where


def rows(form, name: str, limit: int, default: int = 1) -> int:
    """How many rows of a repeated part the form carries (a hidden count), bounded."""
    raw = form.get(name, "")
    count = int(raw) if re.fullmatch(r"\d{1,3}", raw) else default
    return max(0, min(count, limit))


def minutes(form) -> tuple[dict[str, Any], dict[str, str]]:
    """会议纪要: number, summary and the item rows, each with its dissent rows (unit + opinion)."""
    items: list[dict[str, Any]] = []
    where: dict[str, str] = {}
    for i in range(rows(form, "item_rows", values.MAX_MINUTE_ITEMS)):
        field = f"items.{i}"
        dissent, dissent_where = [], {}
        for j in range(rows(form, f"dissent_rows.{i}", values.MAX_DISSENT, default=0)):
            unit, opinion = form.get(f"{field}.dissent.{j}.unit", ""), form.get(f"{field}.dissent.{j}.opinion", "")
            if unit or opinion.strip():
                for part in ("unit", "opinion"):
                    dissent_where[f"{len(dissent)}.{part}"] = f"{field}.dissent.{j}.{part}"
                dissent.append({"unit": unit, "opinion": opinion})
        title, text = form.get(f"{field}.title", ""), form.get(f"{field}.text", "")
        if not (title.strip() or text.strip() or dissent):
            continue
        k = f"items.{len(items)}"
        where.update({f"{k}.{part}": f"{field}.{part}" for part in ("title", "text", "category", "outcome")})
        where.update({f"{k}.dissent.{key}": name for key, name in dissent_where.items()})
        where[f"{k}.dissent"] = f"{field}.outcome"
        items.append({"title": title, "text": text, "category": form.get(f"{field}.category", ""),
                      "outcome": form.get(f"{field}.outcome", ""), "dissent": dissent})
    where["items"] = "_form"
    return {"number": form.get("number", ""), "summary": form.get("summary", ""), "items": items}, where


def milestones(form, limit: int = 3) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """阶段目标: rows of due date, target percent and description; blank rows left out."""
    found: list[dict[str, Any]] = []
    where: dict[str, str] = {}
    for i in range(rows(form, "milestone_rows", values.MAX_MILESTONES, default=limit)):
        field = f"milestones.{i}"
        due, target = form.get(f"{field}.due", ""), form.get(f"{field}.target_percent", "")
        description = form.get(f"{field}.description", "")
        if not (due or target.strip() or description.strip()):
            continue
        where.update({f"milestones.{len(found)}.{part}": f"{field}.{part}"
                      for part in ("due", "target_percent", "description")})
        found.append({"due": due, "description": description,
                      "target_percent": int(target) if re.fullmatch(r"\s*\d{1,3}\s*", target) else target})
    return found, where


def renamed(errors: dict[str, list[str]], where: dict[str, str]) -> dict[str, list[str]]:
    """A refusal's fields (the API's names) as the form's names."""
    out: dict[str, list[str]] = {}
    for field, messages in errors.items():
        out.setdefault(where.get(field, field), []).extend(messages)
    return out
