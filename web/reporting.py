"""Use cases that join the write side and the views: drafting and issuing the supervision report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from coordination.ledger import Ledger
from coordination.runner import Outcome
from coordination.authorization import require_role
from coordination.errors import ReportAlreadyIssued, ViewsBehind
from domain.actors import Actor
from domain.reports import Period, frozen_document
from projections import chain
from projections.report import ADDED_FIELDS, supervision_report
from projections.tracking import wait_for


def draft_report(ledger: Ledger, conn: psycopg.Connection, period_code: str,
                 as_of: datetime | None = None) -> dict[str, Any]:
    """The report as of now (or as of an earlier instant), from views that have caught up with the log."""
    period = Period.parse(period_code)
    if not wait_for(conn, ledger.position()):
        raise ViewsBehind("the views are still catching up with the log; try again in a moment")
    now = ledger.clock.now()
    return supervision_report(conn, period, min(as_of, now) if as_of is not None else now)


def issue_report(ledger: Ledger, conn: psycopg.Connection, actor: Actor, period_code: str, narrative: str,
                 idempotency_key: str | None = None) -> Outcome:
    """印发: compute the report from caught-up views and freeze it with its log position and SHA-256."""
    period = Period.parse(period_code)
    # Refuse early what the ledger would refuse anyway, before waiting for the views.
    require_role(actor, "supervisor")
    try:
        ledger.check_not_issued(period)
    except ReportAlreadyIssued:
        # The same request repeated (a double click, a retry) is answered by the ledger with its first outcome.
        if idempotency_key is None or ledger.recorder.find_command(actor.username, idempotency_key) is None:
            raise
    report = draft_report(ledger, conn, period_code)
    # The chain head at the report's position: whoever holds the report can check the log it came from.
    report["ledger"] = chain.head_at(conn, report["log_position"])
    return ledger.issue_report(actor, period=period, report=report, narrative=narrative,
                               idempotency_key=idempotency_key)


def regenerate_issued(ledger: Ledger, conn: psycopg.Connection, period_code: str) -> str:
    """Recompute an issued report from the log at its frozen position and instant: the same bytes if all is well."""
    period = Period.parse(period_code)
    issued = ledger.issued_report(period)
    frozen = json.loads(issued.content)
    if not wait_for(conn, issued.log_position):
        raise ViewsBehind("the views have not reached the report's log position yet")
    report = supervision_report(conn, period, datetime.fromisoformat(issued.as_of), upto=issued.log_position)
    if "ledger" in frozen:
        report["ledger"] = chain.head_at(conn, issued.log_position)
    for added in ADDED_FIELDS:  # a report issued before these lists existed is regenerated without them
        if added not in frozen:
            report.pop(added, None)
    return frozen_document(report, frozen["narrative"], frozen["issued_by"], datetime.fromisoformat(frozen["issued_at"]))
