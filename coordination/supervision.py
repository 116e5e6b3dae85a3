"""Use cases of the half-yearly supervision report (半年督查报告): issue once per period, read the issued one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from coordination.authorization import require_role
from coordination.errors import ReportAlreadyIssued
from coordination.runner import CommandRunner, Outcome
from domain.actors import Actor
from domain.errors import InvalidValue
from domain.reports import Period, SupervisionReport


class SupervisionUseCases(CommandRunner):
    def issue_report(self, actor: Actor, *, period: Period, report: dict[str, Any], narrative: str,
                     idempotency_key: str | None = None) -> Outcome:
        """印发督查报告 (supervisor): freeze the figures computed at report["log_position"]; once per period."""
        require_role(actor, "supervisor")
        if report.get("period") != period.code:
            raise InvalidValue("period", "the report was computed for another period")

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            self.check_not_issued(period)
            issued = SupervisionReport.issue(period=period, report=report, narrative=narrative, by=actor, at=at)
            return {"period": period.code, "log_position": issued.log_position, "sha256": issued.sha256}, [issued]

        return self._execute(actor, "report.issued", {"period": period.code, "narrative": narrative}, work,
                             idempotency_key)

    def check_not_issued(self, period: Period) -> None:
        if self._exists(SupervisionReport.create_id(period.code)):
            raise ReportAlreadyIssued(f"the {period.code} report has already been issued")

    def issued_report(self, period: Period) -> SupervisionReport:
        return self._load(SupervisionReport.create_id(period.code), SupervisionReport, "issued report for")
