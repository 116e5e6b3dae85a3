"""The half-yearly supervision report (半年督查报告): periods, and the issued report as an event.

A period `YYYYH1` is [Jan 1, Jul 1) and `YYYYH2` is [Jul 1, Jan 1), Asia/Shanghai. A report is
drafted from the log at any time; it is issued once, frozen with the log position it was computed
at and the SHA-256 of its canonical JSON, so anyone can regenerate it exactly.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import values
from domain.deadlines import start_of
from domain.errors import InvalidValue

REPORTS_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:reports")
PERIOD = re.compile(r"^(20[0-9]{2})H([12])$")

RECIPIENTS = {
    "to": ["国家公共文化服务体系示范区创建工作办公室"],
    "cc": ["温州市人民政府", "温州市文化广电和旅游局", "温州市财政局"],
}
"""送 and 抄报, per seed 002 附件2 (区政府办公室, duty 2)."""


@dataclass(frozen=True)
class Period:
    code: str
    start: datetime
    end: datetime
    """The first instant after the period."""

    @classmethod
    def parse(cls, code: str) -> Period:
        match = PERIOD.match(code) if isinstance(code, str) else None
        if not match:
            raise InvalidValue("period", "a half-year such as 2026H1 or 2026H2")
        year, half = int(match[1]), int(match[2])
        if half == 1:
            return cls(code, start_of(date(year, 1, 1)), start_of(date(year, 7, 1)))
        return cls(code, start_of(date(year, 7, 1)), start_of(date(year + 1, 1, 1)))

    def as_of(self, now: datetime) -> datetime:
        """min(end of the period, now)."""
        return min(self.end, now)


def canonical(document: dict[str, Any]) -> str:
    """The one serialisation a frozen report is hashed and served in."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frozen_document(report: dict[str, Any], narrative: str, issued_by: dict[str, str], issued_at: datetime) -> str:
    """The issued report: the figures, the narrative, the recipients and who issued it when."""
    return canonical({**report, "narrative": narrative, "recipients": RECIPIENTS, "issued_by": issued_by,
                      "issued_at": issued_at.isoformat()})


class SupervisionReport(Aggregate):
    """An issued report; its id derives from the period, so each period is issued once."""

    @staticmethod
    def create_id(period: str) -> UUID:
        return uuid5(REPORTS_NAMESPACE, period)

    @classmethod
    def issue(cls, *, period: Period, report: dict[str, Any], narrative: str, by: Any, at: datetime
              ) -> SupervisionReport:
        """印发督查报告: freeze the computed figures with a narrative and the recipients."""
        content = frozen_document(report, values.text("narrative", narrative, max_length=values.NARRATIVE), by.stamp(), at)
        return cls(period=period.code, log_position=report["log_position"], as_of=report["as_of"],
                   content=content, sha256=sha256(content), actor=by.stamp(), at=at)

    @event("Issued")
    def __init__(self, period: str, log_position: int, as_of: str, content: str, sha256: str, actor: dict,
                 at: datetime):
        self.period = period
        self.log_position = log_position
        self.as_of = as_of
        self.content = content
        self.sha256 = sha256
