"""Meetings, minutes and the 协商一致 rule, on the aggregate alone."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import errors
from domain.meetings import Meeting
from tests.conftest import OFFICE

DAY = datetime.fromisoformat("2026-03-10T09:00:00+08:00")
ITEM = {"title": "编制总体规划", "text": "由区文广旅体局牵头编制", "category": "policy", "outcome": "agreed"}


def held_meeting() -> Meeting:
    meeting = Meeting.schedule(kind="plenary", title="2026年第一次全体会议", date=date(2026, 3, 10),
                               location="区政府第一会议室", chair="区政府分管副区长", topics=[], by=OFFICE,
                               at=datetime.fromisoformat("2026-03-01T09:00:00+08:00"))
    meeting.record_attendance(present=["culture-tourism", "finance"], absent=[{"unit": "education", "reason": "公务"}],
                              invited=["市文广旅局"], by=OFFICE, at=DAY)
    return meeting


def test_attendance_cannot_be_recorded_before_the_meeting_day():
    meeting = Meeting.schedule(kind="office", title="办公室成员工作会议", date=date(2026, 3, 10), location="会议室",
                               chair="办公室主任", topics=[], by=OFFICE, at=DAY)
    with pytest.raises(errors.MeetingNotHeld):
        meeting.record_attendance(present=["finance"], absent=[], invited=None, by=OFFICE,
                                  at=datetime.fromisoformat("2026-03-09T23:00:00+08:00"))


def test_a_unit_cannot_be_both_present_and_absent():
    meeting = held_meeting()
    with pytest.raises(errors.InvalidValue):
        meeting.record_attendance(present=["finance"], absent=[{"unit": "finance", "reason": "x"}], invited=None,
                                  by=OFFICE, at=DAY)


def test_an_item_with_recorded_dissent_cannot_be_agreed():
    meeting = held_meeting()
    dissenting = {**ITEM, "dissent": [{"unit": "finance", "opinion": "资金来源未明确"}]}
    with pytest.raises(errors.DissentBlocksAgreement) as raised:
        meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="纪要", items=[dissenting], by=OFFICE, at=DAY)
    assert "items.0.outcome" in raised.value.errors
    assert meeting.minutes is None


def test_an_item_with_dissent_may_be_deferred():
    meeting = held_meeting()
    deferred = {**ITEM, "outcome": "deferred", "dissent": [{"unit": "finance", "opinion": "资金来源未明确"}]}
    meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="纪要", items=[ITEM, deferred], by=OFFICE, at=DAY)
    assert meeting.issue_minutes(by=OFFICE, at=DAY) == [0]


def test_minutes_are_drafted_repeatedly_then_frozen_once_issued():
    meeting = held_meeting()
    meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="初稿", items=[ITEM], by=OFFICE, at=DAY)
    meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="修改稿", items=[ITEM], by=OFFICE, at=DAY)
    meeting.issue_minutes(by=OFFICE, at=DAY)
    before = len(meeting.pending_events)
    with pytest.raises(errors.MinutesFrozen):
        meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="再改", items=[ITEM], by=OFFICE, at=DAY)
    with pytest.raises(errors.MinutesFrozen):
        meeting.issue_minutes(by=OFFICE, at=DAY)
    with pytest.raises(errors.MinutesFrozen):
        meeting.record_attendance(present=["finance"], absent=[], invited=None, by=OFFICE, at=DAY)
    assert len(meeting.pending_events) == before
    assert meeting.minutes["summary"] == "修改稿"


def test_a_correction_is_recorded_beside_issued_minutes():
    meeting = held_meeting()
    with pytest.raises(errors.MinutesNotIssued):
        meeting.correct_minutes(correction="第二项牵头单位应为区财政局", reason="笔误", by=OFFICE, at=DAY)
    meeting.draft_minutes(number="鹿文协纪〔2026〕1号", summary="纪要", items=[ITEM], by=OFFICE, at=DAY)
    meeting.issue_minutes(by=OFFICE, at=DAY)
    meeting.correct_minutes(correction="第二项牵头单位应为区财政局", reason="笔误", by=OFFICE, at=DAY)
    assert type(meeting.pending_events[-1]).__qualname__ == "Meeting.MinutesCorrected"
    assert meeting.minutes["summary"] == "纪要"


def test_minutes_need_a_held_meeting():
    meeting = Meeting.schedule(kind="office", title="办公室成员工作会议", date=date(2026, 3, 10), location="会议室",
                               chair="办公室主任", topics=[], by=OFFICE, at=DAY)
    with pytest.raises(errors.MeetingNotHeld):
        meeting.draft_minutes(number="1", summary="s", items=[ITEM], by=OFFICE, at=DAY)
