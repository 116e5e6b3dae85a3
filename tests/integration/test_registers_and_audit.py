"""Registers (meeting → resolution → task → evidence → verification) and paging through the audit log."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from projections import registers
from projections.audit import events_page
from tests.conftest import EDUCATION, FINANCE, OFFICE, SUPERVISOR
from projections.eventlog import EventLog
from tests.integration.conftest import sync

pytestmark = pytest.mark.db


def test_the_chain_reads_from_meeting_to_verification_and_back(runtime, conn, clock):
    ledger = runtime.ledger
    meeting_id = ledger.schedule_meeting(OFFICE, kind="plenary", title="全体会议", date=clock.now().date(),
                                         location="会议室", chair="召集人").result["id"]
    ledger.record_attendance(OFFICE, meeting_id, present=["finance", "education"],
                             absent=[{"unit": "statistics", "reason": "出差"}])
    ledger.draft_minutes(OFFICE, meeting_id, number="鹿文协纪〔2026〕7号", summary="纪要", items=[
        {"title": "保障机制", "text": "财政局牵头", "category": "funding", "outcome": "agreed"}])
    (resolution,) = ledger.issue_minutes(OFFICE, meeting_id).result["resolutions"]
    ledger.correct_minutes(OFFICE, meeting_id, correction="第一项配合单位增加区教育局", reason="遗漏")
    task_id = ledger.assign_task(OFFICE, title="出台保障标准", source={"kind": "resolution",
                                 "resolution_id": resolution["id"]}, lead_unit="finance", co_units=["education"],
                                 deadline=date(2026, 6, 30)).result["id"]
    ledger.acknowledge(FINANCE, task_id)
    ledger.acknowledge(EDUCATION, task_id)
    a = ledger.store_file(EDUCATION, name="a.xlsx", content=b"data")
    b = ledger.store_file(FINANCE, name="b.pdf", content=b"%PDF-1.4 report")
    ledger.report_progress(EDUCATION, task_id, percent=50, text="数据", evidence=[{"name": "a.xlsx", "sha256": a["sha256"]}])
    ledger.request_completion(FINANCE, task_id, summary="完成", evidence=[{"name": "b.pdf", "sha256": b["sha256"]}])
    ledger.decide_completion(OFFICE, task_id, accepted=True, comment="核验通过")
    sync(runtime, conn)

    register = registers.meetings(conn)
    assert [(m["title"], m["status"]) for m in register] == [("全体会议", "minutes_issued")]
    forward = registers.meeting(conn, meeting_id)
    assert forward["minutes"]["number"] == "鹿文协纪〔2026〕7号"
    assert forward["attendance"]["absent"] == [{"unit": "statistics", "reason": "出差"}]
    assert [c["reason"] for c in forward["corrections"]] == ["遗漏"]
    assert [(r["title"], [t["id"] for t in r["tasks"]]) for r in forward["resolutions"]] == [("保障机制", [task_id])]
    assert forward["resolutions"][0]["tasks"][0]["status"] == "completed"

    back = registers.task_chain(conn, task_id)
    assert back["resolution"]["id"] == resolution["id"]
    assert back["meeting"]["id"] == meeting_id
    assert [(e["unit"], e["kind"], e["file"]["name"]) for e in back["evidence"]] == [
        ("education", "progress", "a.xlsx"), ("finance", "completion", "b.pdf")]
    assert [(v["by"], v["accepted"]) for v in back["verification"]] == [("office1", True)]
    assert registers.resolutions(conn, category="funding")[0]["id"] == resolution["id"]
    assert registers.resolutions(conn, category="talent") == []


def test_paging_the_audit_log_yields_every_event_once_and_filters_by_unit(runtime, conn):
    ledger = runtime.ledger
    task_id = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"}, category="other",
                                 lead_unit="finance", co_units=[], deadline=date(2026, 6, 30)).result["id"]
    ledger.urge(SUPERVISOR, task_id, message="催办")
    ledger.propose_topic(EDUCATION, title="教育议题")
    sync(runtime, conn)

    seen, after = [], 0
    while True:
        page = events_page(conn, after=after, limit=7)
        if not page["events"]:
            break
        seen += [e["position"] for e in page["events"]]
        after = page["next_after"]
    assert seen == [e.position for e in EventLog(ledger).iter()]

    finance = events_page(conn, unit="finance", after=27)["events"]
    assert [e["type"] for e in finance] == ["Task.Assigned", "Task.Urged"], "an urging concerns the lead unit"
    assert [e["type"] for e in events_page(conn, type="Topic.Proposed")["events"]] == ["Topic.Proposed"]
    assert len(events_page(conn, aggregate_id=task_id)["events"]) == 2
    assert events_page(conn, after=ledger.position())["next_after"] == ledger.position()
    assert events_page(conn, after=0, limit=1)["events"][0]["actor"] == {"username": "system", "unit": "culture-tourism"}
    assert datetime.fromisoformat(events_page(conn, after=0, limit=1)["events"][0]["at"]).tzinfo is not None
