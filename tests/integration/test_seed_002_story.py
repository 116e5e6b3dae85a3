"""Seed 002's story end to end on PostgreSQL, read back from the log with actor and instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.conftest import EDUCATION, FINANCE, OFFICE, SUPERVISOR
from projections.eventlog import EventLog

pytestmark = pytest.mark.db


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def test_plenary_to_verified_completion(ledger, clock):
    start = ledger.position()

    # The office collects a topic from the finance bureau (征集议题) and accepts it.
    topic = ledger.propose_topic(FINANCE, title="建立基本公共文化服务财政保障机制",
                                 background="示范区创建标准要求落实保障资金").result["id"]
    ledger.accept_topic(OFFICE, topic)

    # A plenary meeting (全体会议, 第七条) is scheduled with the topic on its agenda.
    clock.set(shanghai("2026-03-05T10:00:00"))
    meeting = ledger.schedule_meeting(OFFICE, kind="plenary", title="协调组2026年第一次全体会议",
                                      date=date(2026, 3, 10), location="区政府第一会议室",
                                      chair="区政府分管副区长", topics=[topic]).result["id"]

    # It is held; attendance is recorded; minutes are drafted and issued (印发).
    clock.set(shanghai("2026-03-10T15:00:00"))
    ledger.record_attendance(OFFICE, meeting, present=["culture-tourism", "finance", "education"],
                             absent=[{"unit": "science-association", "reason": "参加省级会议"}],
                             invited=["温州市文化广电和旅游局"])
    ledger.draft_minutes(OFFICE, meeting, number="鹿文协纪〔2026〕1号", summary="会议研究了保障机制",
                         items=[
                             {"title": "建立财政保障机制", "text": "区财政局牵头,区教育局配合",
                              "category": "funding", "outcome": "agreed"},
                             {"title": "文化站人员下派", "text": "意见未统一", "category": "talent",
                              "outcome": "deferred", "dissent": [{"unit": "staffing-office", "opinion": "编制不足"}]},
                         ])
    clock.set(shanghai("2026-03-12T09:00:00"))
    issued = ledger.issue_minutes(OFFICE, meeting).result
    assert [r["title"] for r in issued["resolutions"]] == ["建立财政保障机制"]
    resolution = issued["resolutions"][0]["id"]
    assert ledger.topic(topic).status == "concluded"

    # The office splits the resolution into a task for a lead unit and a co-unit (分工落实).
    task_id = ledger.assign_task(OFFICE, title="出台基本公共文化服务保障标准", description="测算并出台标准",
                                 source={"kind": "resolution", "resolution_id": resolution},
                                 lead_unit="finance", co_units=["education"], deadline=date(2026, 6, 30),
                                 feedback_every="month").result["id"]
    assert ledger.task(task_id).category == "funding"

    # Both units acknowledge (签收) and report progress with evidence.
    clock.advance(timedelta(hours=2))
    ledger.acknowledge(FINANCE, task_id)
    ledger.acknowledge(EDUCATION, task_id)
    clock.set(shanghai("2026-04-10T09:00:00"))
    sheet = ledger.store_file(FINANCE, name="测算表.xlsx", content="保障标准测算".encode())
    ledger.report_progress(FINANCE, task_id, percent=50, text="完成测算",
                           evidence=[{"name": sheet["name"], "sha256": sheet["sha256"]}])
    ledger.report_progress(EDUCATION, task_id, percent=50, text="提供学校设施开放数据")

    # A supervisor urges; the lead asks for more time and the office approves (延期).
    ledger.urge(SUPERVISOR, task_id, message="请按期完成")
    clock.set(shanghai("2026-06-20T09:00:00"))
    ledger.request_extension(FINANCE, task_id, new_deadline=date(2026, 7, 31), reason="等待市级标准")
    ledger.decide_extension(OFFICE, task_id, 1, approved=True, comment="同意延期")

    # The lead requests completion after the original deadline, within the extension; the office verifies.
    clock.set(shanghai("2026-07-15T09:00:00"))
    standard = ledger.store_file(FINANCE, name="标准.pdf", content=b"%PDF-1.4 standard", content_type="application/pdf")
    ledger.request_completion(FINANCE, task_id, summary="标准已印发",
                              evidence=[{"name": standard["name"], "sha256": standard["sha256"]}])
    clock.set(shanghai("2026-07-16T09:00:00"))
    ledger.decide_completion(OFFICE, task_id, accepted=True, comment="材料齐全,同意办结")
    ledger.comment(SUPERVISOR, task_id, text="按期完成,予以肯定")

    task = ledger.task(task_id)
    assert task.status == "completed"
    assert task.effective_deadline == date(2026, 7, 31)
    assert task.completion["on_time"] is True

    # Every event is in the log, in order, with actor and instant.
    events = list(EventLog(ledger).iter(after=start))
    assert [e.type for e in events] == [
        "Topic.Proposed", "Topic.Accepted",
        "Meeting.Scheduled", "Topic.PlacedOnAgenda",
        "Meeting.AttendanceRecorded", "Meeting.MinutesDrafted",
        "Meeting.MinutesIssued", "MinutesNumber.Reserved", "Resolution.Adopted", "Topic.Concluded",
        "Task.Assigned", "Task.Acknowledged", "Task.Acknowledged",
        "Task.ProgressReported", "Task.ProgressReported", "Task.Urged",
        "Task.ExtensionRequested", "Task.ExtensionDecided",
        "Task.CompletionRequested", "Task.CompletionDecided", "Task.Commented",
    ]
    positions = [e.position for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert events[0].actor == {"username": "finance-liaison", "unit": "finance"}
    assert events[-2].actor == {"username": "office1", "unit": "culture-tourism"}
    assert events[-1].actor == {"username": "dukao1", "unit": "supervision-office"}
    assert events[0].at == shanghai("2026-03-02T09:00:00")
    assert events[-3].at == shanghai("2026-07-15T09:00:00")
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[-2].data == {"accepted": True, "comment": "材料齐全,同意办结"}

    # The task's own history reads the same events in order.
    history = EventLog(ledger).history(task_id)
    assert [e.type for e in history] == [e.type for e in events if e.aggregate_id == task.id]
