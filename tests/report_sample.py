"""A frozen supervision report made by hand (no database): every unit and category row, with figures
that differ from each other so a test can find each one in a document."""

from __future__ import annotations

from domain.categories import CATEGORY_CODES
from domain.reports import RECIPIENTS, canonical, sha256
from domain.charter import UNIT_CODES


def sample_report(*, issued: bool = True) -> dict:
    units = []
    for i, code in enumerate(UNIT_CODES):
        completed = i % 4
        on_time = min(completed, i % 3)
        units.append({"unit": code, "lead_tasks": completed + i % 5, "co_tasks": i % 6, "completed": completed,
                      "completed_on_time": on_time, "overdue": i % 5 // 2,
                      "on_time_rate": round(on_time / completed, 4) if completed else None,
                      "urgings_received": i % 7})
    report = {
        "period": "2026H1",
        "as_of": "2026-07-01T00:00:00+08:00",
        "log_position": 4321,
        "totals": {"meetings_held": 3, "plenary_meetings": 1, "office_meetings": 2, "resolutions_adopted": 7,
                   "tasks_assigned": 41, "tasks_completed": 23, "tasks_completed_on_time": 19, "tasks_overdue": 5,
                   "tasks_in_progress": 17, "extensions_approved": 4, "urgings": 11},
        "units": units,
        "categories": [{"category": c, "assigned": 10 + i, "completed": 2 * i, "overdue": i % 3}
                       for i, c in enumerate(CATEGORY_CODES)],
        "lights": {"red": 5, "yellow": 3, "green": 9},
        "problems": [
            {"task_id": "7d0c7a4e-0000-4000-8000-000000000001", "title": "完善基层综合性文化服务中心设施用地保障",
             "lead_unit": "natural-resources", "overdue_days": 110},
            {"task_id": "7d0c7a4e-0000-4000-8000-000000000002", "title": "制定公共文化服务地方标准",
             "lead_unit": "market-regulation", "overdue_days": 2},
        ],
    }
    if issued:
        report.update({"narrative": "一是加快推进逾期事项办结。\n二是完善督办台账,按季度通报。",
                       "recipients": RECIPIENTS, "issued_by": {"username": "dukao1", "unit": "supervision-office"},
                       "issued_at": "2026-07-03T10:30:00+08:00"})
    return report


def sample_sha256(report: dict) -> str:
    return sha256(canonical(report))
