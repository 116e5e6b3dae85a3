"""The task lifecycle rules, on the aggregate alone (no I/O)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain import errors
from domain.tasks import Task
from tests.conftest import CULTURE, EDUCATION, FINANCE, HOUSING, OFFICE, SUPERVISOR

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")


def new_task(**overrides) -> Task:
    fields = dict(
        title="制定基本公共文化服务保障标准",
        description="研究建立财政保障机制",
        source={"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
        category="funding",
        lead_unit="finance",
        co_units=["education", "culture-tourism"],
        deadline=date(2026, 6, 30),
        milestones=None,
        feedback_every=None,
        by=OFFICE,
        at=T0,
    )
    fields.update(overrides)
    return Task.assign(**fields)


def in_progress() -> Task:
    task = new_task()
    task.acknowledge(by=FINANCE, at=T0 + timedelta(hours=1))
    return task


def completion_requested() -> Task:
    task = in_progress()
    task.request_completion(summary="标准已印发", evidence=None, by=FINANCE, at=T0 + timedelta(days=3))
    return task


def events_of(task: Task) -> list[str]:
    return [type(e).__name__ for e in task.pending_events]


def assert_refused(task: Task, error: type[Exception], command) -> None:
    before = len(task.pending_events)
    status = task.status
    with pytest.raises(error):
        command(task)
    assert len(task.pending_events) == before, "a refused command must record nothing"
    assert task.status == status


# --- allowed transitions --------------------------------------------------------------------------


def test_a_new_task_is_assigned_with_its_deadline_as_the_effective_deadline():
    task = new_task()
    assert task.status == "assigned"
    assert task.effective_deadline == date(2026, 6, 30)
    assert events_of(task) == ["Assigned"]
    assert task.pending_events[0].actor == {"username": "office1", "unit": "culture-tourism"}
    assert task.pending_events[0].at == T0


def test_the_lead_units_acknowledgement_puts_the_task_in_progress():
    task = new_task()
    task.acknowledge(by=FINANCE, at=T0)
    assert task.status == "in_progress"


def test_a_co_unit_acknowledges_without_changing_the_status():
    task = new_task()
    task.acknowledge(by=EDUCATION, at=T0)
    assert task.status == "assigned"
    assert "education" in task.acknowledged


def test_lead_and_co_units_report_progress_and_the_lead_sets_the_percent():
    task = in_progress()
    task.acknowledge(by=EDUCATION, at=T0)
    task.report_progress(percent=40, text="已完成测算", evidence=[{"name": "测算表.xlsx", "sha256": "a" * 64}],
                         by=FINANCE, at=T0 + timedelta(days=1))
    task.report_progress(percent=90, text="配合调研", evidence=None, by=EDUCATION, at=T0 + timedelta(days=2))
    assert task.percent == 40
    assert events_of(task)[-2:] == ["ProgressReported", "ProgressReported"]


def test_completion_request_then_acceptance_completes_the_task():
    task = completion_requested()
    assert task.status == "completion_requested"
    task.decide_completion(accepted=True, comment="", by=OFFICE, at=T0 + timedelta(days=4))
    assert task.status == "completed"
    assert task.percent == 100
    assert task.completion["on_time"] is True


def test_a_returned_completion_goes_back_to_in_progress():
    task = completion_requested()
    task.decide_completion(accepted=False, comment="缺少印发文件", by=OFFICE, at=T0 + timedelta(days=4))
    assert task.status == "in_progress"


def test_an_approved_extension_moves_the_effective_deadline():
    task = in_progress()
    number = task.request_extension(new_deadline=date(2026, 9, 30), reason="需等待市级标准出台", by=FINANCE, at=T0)
    assert number == 1
    task.decide_extension(request=1, approved=True, comment="同意", by=OFFICE, at=T0)
    assert task.effective_deadline == date(2026, 9, 30)
    assert task.deadline == date(2026, 6, 30)


def test_a_refused_extension_keeps_the_deadline_and_allows_a_new_request():
    task = in_progress()
    task.request_extension(new_deadline=date(2026, 9, 30), reason="理由", by=FINANCE, at=T0)
    task.decide_extension(request=1, approved=False, comment="理由不充分", by=OFFICE, at=T0)
    assert task.effective_deadline == date(2026, 6, 30)
    assert task.request_extension(new_deadline=date(2026, 7, 31), reason="理由二", by=FINANCE, at=T0) == 2


def test_urging_and_comments_are_recorded_on_an_open_task():
    task = in_progress()
    task.urge(message="请加快进度", by=SUPERVISOR, at=T0)
    task.comment(text="进度偏慢", by=SUPERVISOR, at=T0)
    assert task.urgings == 1
    assert events_of(task)[-2:] == ["Urged", "Commented"]


def test_reassigning_the_lead_unit_needs_a_new_acknowledgement():
    task = in_progress()
    task.reassign(lead_unit="housing-construction", co_units=["finance"], reason="职责调整", by=OFFICE, at=T0)
    assert task.status == "assigned"
    assert task.lead_unit == "housing-construction"
    task.acknowledge(by=HOUSING, at=T0)
    assert task.status == "in_progress"


def test_reassigning_only_the_co_units_keeps_the_status():
    task = in_progress()
    task.reassign(lead_unit="finance", co_units=["education"], reason="调整配合单位", by=OFFICE, at=T0)
    assert task.status == "in_progress"
    assert task.co_units == ["education"]


@pytest.mark.parametrize("make", [new_task, in_progress, completion_requested])
def test_the_office_can_cancel_any_open_task(make):
    task = make()
    task.cancel(reason="任务已由上级统筹", by=OFFICE, at=T0)
    assert task.status == "cancelled"


def test_a_supervisor_may_comment_on_a_closed_task():
    task = new_task()
    task.cancel(reason="撤销", by=OFFICE, at=T0)
    task.comment(text="撤销理由充分", by=SUPERVISOR, at=T0)
    assert events_of(task)[-1] == "Commented"


# --- forbidden transitions: each raises and records nothing ----------------------------------------


def closed(kind: str) -> Task:
    task = completion_requested()
    if kind == "completed":
        task.decide_completion(accepted=True, comment="", by=OFFICE, at=T0)
    else:
        task.cancel(reason="撤销", by=OFFICE, at=T0)
    return task


CLOSED_COMMANDS = {
    "acknowledge": lambda t: t.acknowledge(by=EDUCATION, at=T0),
    "report_progress": lambda t: t.report_progress(percent=10, text="x", evidence=None, by=FINANCE, at=T0),
    "request_extension": lambda t: t.request_extension(new_deadline=date(2026, 12, 1), reason="r", by=FINANCE, at=T0),
    "request_completion": lambda t: t.request_completion(summary="s", evidence=None, by=FINANCE, at=T0),
    "urge": lambda t: t.urge(message="m", by=OFFICE, at=T0),
    "reassign": lambda t: t.reassign(lead_unit="education", co_units=[], reason="r", by=OFFICE, at=T0),
    "cancel": lambda t: t.cancel(reason="r", by=OFFICE, at=T0),
}


@pytest.mark.parametrize("kind", ["completed", "cancelled"])
@pytest.mark.parametrize("command", sorted(CLOSED_COMMANDS))
def test_a_closed_task_refuses_every_change(kind, command):
    assert_refused(closed(kind), errors.TaskClosed, CLOSED_COMMANDS[command])


def test_a_closed_task_refuses_a_completion_decision():
    assert_refused(closed("completed"), errors.NoCompletionRequested,
                   lambda t: t.decide_completion(accepted=True, comment="", by=OFFICE, at=T0))


def test_the_lead_cannot_acknowledge_twice():
    assert_refused(in_progress(), errors.AlreadyAcknowledged, lambda t: t.acknowledge(by=FINANCE, at=T0))


def test_progress_before_acknowledgement_is_refused():
    assert_refused(new_task(), errors.NotInProgress,
                   lambda t: t.report_progress(percent=10, text="x", evidence=None, by=FINANCE, at=T0))


def test_a_co_unit_must_acknowledge_before_reporting_progress():
    assert_refused(in_progress(), errors.NotAcknowledged,
                   lambda t: t.report_progress(percent=10, text="x", evidence=None, by=EDUCATION, at=T0))


def test_completion_cannot_be_requested_before_acknowledgement():
    assert_refused(new_task(), errors.NotInProgress,
                   lambda t: t.request_completion(summary="s", evidence=None, by=FINANCE, at=T0))


def test_completion_cannot_be_requested_twice():
    assert_refused(completion_requested(), errors.NotInProgress,
                   lambda t: t.request_completion(summary="s", evidence=None, by=FINANCE, at=T0))


def test_a_completion_decision_needs_a_pending_request():
    assert_refused(in_progress(), errors.NoCompletionRequested,
                   lambda t: t.decide_completion(accepted=True, comment="", by=OFFICE, at=T0))


def test_returning_a_completion_needs_a_reason():
    assert_refused(completion_requested(), errors.InvalidValue,
                   lambda t: t.decide_completion(accepted=False, comment=" ", by=OFFICE, at=T0))


def test_only_the_lead_unit_requests_an_extension():
    task = in_progress()
    task.acknowledge(by=EDUCATION, at=T0)
    assert_refused(task, errors.NotLeadUnit,
                   lambda t: t.request_extension(new_deadline=date(2026, 9, 1), reason="r", by=EDUCATION, at=T0))


def test_only_the_lead_unit_requests_completion():
    task = in_progress()
    task.acknowledge(by=CULTURE, at=T0)
    assert_refused(task, errors.NotLeadUnit,
                   lambda t: t.request_completion(summary="s", evidence=None, by=CULTURE, at=T0))


@pytest.mark.parametrize("new_deadline", [date(2026, 6, 30), date(2026, 6, 1)])
def test_an_extension_must_move_the_deadline_forward(new_deadline):
    assert_refused(in_progress(), errors.ExtensionNotForward,
                   lambda t: t.request_extension(new_deadline=new_deadline, reason="r", by=FINANCE, at=T0))


def test_an_extension_is_refused_once_the_deadline_has_passed():
    after = datetime.fromisoformat("2026-07-01T00:00:00+08:00")
    assert_refused(in_progress(), errors.DeadlinePassed,
                   lambda t: t.request_extension(new_deadline=date(2026, 9, 1), reason="r", by=FINANCE, at=after))


def test_an_extension_may_be_requested_on_the_last_minute_of_the_deadline_day():
    task = in_progress()
    last_minute = datetime.fromisoformat("2026-06-30T23:59:00+08:00")
    assert task.request_extension(new_deadline=date(2026, 9, 1), reason="r", by=FINANCE, at=last_minute) == 1


def test_only_one_extension_request_may_be_pending():
    task = in_progress()
    task.request_extension(new_deadline=date(2026, 9, 1), reason="r", by=FINANCE, at=T0)
    assert_refused(task, errors.ExtensionAlreadyPending,
                   lambda t: t.request_extension(new_deadline=date(2026, 10, 1), reason="r", by=FINANCE, at=T0))


def test_an_extension_decision_needs_that_request_pending():
    task = in_progress()
    assert_refused(task, errors.ExtensionNotPending,
                   lambda t: t.decide_extension(request=1, approved=True, comment="", by=OFFICE, at=T0))
    task.request_extension(new_deadline=date(2026, 9, 1), reason="r", by=FINANCE, at=T0)
    task.decide_extension(request=1, approved=True, comment="", by=OFFICE, at=T0)
    assert_refused(task, errors.ExtensionNotPending,
                   lambda t: t.decide_extension(request=1, approved=False, comment="no", by=OFFICE, at=T0))


def test_a_unit_not_on_the_task_cannot_act_on_it():
    assert_refused(new_task(), errors.NotAssignedUnit, lambda t: t.acknowledge(by=HOUSING, at=T0))
    assert_refused(in_progress(), errors.NotAssignedUnit,
                   lambda t: t.report_progress(percent=5, text="x", evidence=None, by=HOUSING, at=T0))


def test_reassignment_waits_for_a_pending_completion_decision():
    assert_refused(completion_requested(), errors.NotInProgress,
                   lambda t: t.reassign(lead_unit="education", co_units=[], reason="r", by=OFFICE, at=T0))


def test_a_reassignment_that_changes_nothing_is_refused():
    assert_refused(in_progress(), errors.InvalidValue,
                   lambda t: t.reassign(lead_unit="finance", co_units=["culture-tourism", "education"],
                                        reason="r", by=OFFICE, at=T0))


# --- assignment input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lead_unit": "nowhere"}, "lead_unit"),
        ({"co_units": ["finance"]}, "co_units"),
        ({"co_units": ["education", "education"]}, "co_units"),
        ({"co_units": ["nowhere"]}, "co_units.0"),
        ({"category": "sports"}, "category"),
        ({"deadline": date(2026, 3, 1)}, "deadline"),
        ({"title": "  "}, "title"),
        ({"feedback_every": "week"}, "feedback_every"),
        ({"source": {"kind": "rumour"}}, "source.kind"),
        ({"milestones": [{"due": date(2026, 7, 1), "target_percent": 50}]}, "milestones.0.due"),
        ({"milestones": [{"due": date(2026, 4, 1), "target_percent": 150}]}, "milestones.0.target_percent"),
        ({"milestones": [{"due": date(2026, 5, 1), "target_percent": 50},
                         {"due": date(2026, 4, 1), "target_percent": 90}]}, "milestones.1"),
    ],
)
def test_assignment_input_is_checked_field_by_field(overrides, field):
    with pytest.raises(errors.InvalidValue) as raised:
        new_task(**overrides)
    assert field in raised.value.errors


def test_milestones_like_seed_001_are_kept_in_order():
    task = new_task(milestones=[
        {"due": date(2026, 3, 31), "target_percent": 50, "description": "一季度完成50%"},
        {"due": date(2026, 5, 31), "target_percent": 90, "description": "完成90%"},
        {"due": date(2026, 6, 30), "target_percent": 100, "description": "全面完成"},
    ])
    assert [m["target_percent"] for m in task.milestones] == [50, 90, 100]
