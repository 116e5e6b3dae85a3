"""Application rules on PostgreSQL: roles and units, idempotency, conflicts, set-up, storage."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pytest

from coordination.ledger import Ledger
from coordination.bootstrap import initialise, open_ledger
from coordination.clock import ManualClock
from coordination.config import ConfigurationError
from coordination.errors import AlreadyExists, AuthenticationFailed, ConcurrentChange, IdempotencyConflict
from coordination.storage import eventsourcing_env
from domain import errors
from tests.conftest import ADMIN, EDUCATION, FINANCE, HOUSING, OFFICE, SUPERVISOR
from projections.eventlog import EventLog

pytestmark = pytest.mark.db


def assign(ledger, **overrides) -> str:
    fields = dict(title="推进文化站人员下派", source={"kind": "instruction", "reference": "区领导批示"},
                  category="talent", lead_unit="finance", co_units=["education"], deadline=date(2026, 6, 30))
    fields.update(overrides)
    return ledger.assign_task(OFFICE, **fields).result["id"]


# --- who may act ----------------------------------------------------------------------------------


def test_a_liaison_cannot_act_on_another_units_task(ledger):
    task_id = assign(ledger)
    before = ledger.position()
    with pytest.raises(errors.NotPermitted):
        ledger.acknowledge(HOUSING, task_id)
    with pytest.raises(errors.NotPermitted):
        ledger.task(task_id, HOUSING)
    assert ledger.position() == before


def test_only_the_office_decides_and_only_supervisors_comment(ledger):
    task_id = assign(ledger)
    ledger.acknowledge(FINANCE, task_id)
    ledger.request_extension(FINANCE, task_id, new_deadline=date(2026, 8, 1), reason="等待批复")
    before = ledger.position()
    for someone in (FINANCE, SUPERVISOR, ADMIN):
        with pytest.raises(errors.NotPermitted):
            ledger.decide_extension(someone, task_id, 1, approved=True)
    with pytest.raises(errors.NotPermitted):
        ledger.comment(OFFICE, task_id, text="意见")
    with pytest.raises(errors.NotPermitted):
        ledger.assign_task(ADMIN, title="t", source={"kind": "plan", "reference": "r"}, category="other",
                           lead_unit="finance", co_units=[], deadline=date(2026, 6, 30))
    assert ledger.position() == before


def test_a_co_unit_liaison_cannot_request_extension_or_completion(ledger):
    task_id = assign(ledger)
    ledger.acknowledge(FINANCE, task_id)
    ledger.acknowledge(EDUCATION, task_id)
    with pytest.raises(errors.NotLeadUnit):
        ledger.request_extension(EDUCATION, task_id, new_deadline=date(2026, 8, 1), reason="r")
    with pytest.raises(errors.NotLeadUnit):
        ledger.request_completion(EDUCATION, task_id, summary="完成")


def test_a_task_from_a_resolution_needs_an_existing_resolution(ledger):
    with pytest.raises(errors.InvalidValue) as raised:
        assign(ledger, source={"kind": "resolution", "resolution_id": "5b0c4a4e-0000-4000-8000-000000000000"},
               category=None)
    assert "source.resolution_id" in raised.value.errors


def test_an_unknown_task_id_is_not_found(ledger):
    with pytest.raises(errors.NotFound):
        ledger.acknowledge(FINANCE, "not-a-uuid")
    with pytest.raises(errors.NotFound):
        ledger.acknowledge(FINANCE, "5b0c4a4e-0000-4000-8000-000000000000")


def test_a_liaison_changes_only_its_own_units_roster(ledger):
    ledger.change_liaison(FINANCE, "finance", name="王敏", title="预算科科长", phone="0577-88000000",
                          reason="人事调整")
    assert ledger.unit("finance").liaison["name"] == "王敏"
    with pytest.raises(errors.NotPermitted):
        ledger.change_member(FINANCE, "education", name="李强", title="副局长", reason="调整")
    ledger.change_member(OFFICE, "education", name="李强", title="副局长", reason="调整")
    assert ledger.unit("education").member == {"name": "李强", "title": "副局长", "phone": ""}


# --- users ------------------------------------------------------------------------------------------


def test_users_are_registered_by_an_admin_and_authenticate_with_their_password(ledger):
    ledger.register_user(ADMIN, username="fin01", password="Correct horse 1", unit="finance", roles=["liaison"],
                         display_name="财政联络员")
    actor = ledger.authenticate("fin01", "Correct horse 1")
    assert actor.unit == "finance" and actor.roles == frozenset({"liaison"})
    with pytest.raises(AuthenticationFailed):
        ledger.authenticate("fin01", "wrong horse!")
    with pytest.raises(AuthenticationFailed):
        ledger.authenticate("nobody", "Correct horse 1")
    with pytest.raises(AlreadyExists):
        ledger.register_user(ADMIN, username="fin01", password="Another one 22", unit="finance", roles=["liaison"])
    with pytest.raises(errors.NotPermitted):
        ledger.register_user(OFFICE, username="fin02", password="Correct horse 1", unit="finance", roles=["liaison"])


def test_a_disabled_user_is_rejected_and_no_hash_reaches_the_log(ledger):
    ledger.register_user(ADMIN, username="fin01", password="Correct horse 1", unit="finance", roles=["liaison"])
    ledger.disable_user(ADMIN, "fin01", reason="调离")
    with pytest.raises(errors.AccountDisabled):
        ledger.authenticate("fin01", "Correct horse 1")
    for event in EventLog(ledger).iter():
        assert "password_hash" not in event.data
        assert "Correct horse 1" not in repr(event.data)


# --- idempotency -------------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_command_returns_the_first_result_and_records_nothing(ledger):
    first = ledger.propose_topic(FINANCE, title="议题", background="背景", idempotency_key="k-1")
    position = ledger.position()
    again = ledger.propose_topic(FINANCE, title="议题", background="背景", idempotency_key="k-1")
    assert again.result == first.result
    assert again.replayed
    assert ledger.position() == position


def test_the_same_idempotency_key_with_another_command_is_a_conflict(ledger):
    ledger.propose_topic(FINANCE, title="议题", background="背景", idempotency_key="k-1")
    position = ledger.position()
    with pytest.raises(IdempotencyConflict):
        ledger.propose_topic(FINANCE, title="另一个议题", background="背景", idempotency_key="k-1")
    assert ledger.position() == position


def test_idempotency_keys_are_scoped_to_the_user(ledger):
    a = ledger.propose_topic(FINANCE, title="议题", background="", idempotency_key="same")
    b = ledger.propose_topic(EDUCATION, title="议题", background="", idempotency_key="same")
    assert a.result["id"] != b.result["id"]


def test_a_replayed_task_command_survives_a_new_ledger_instance(ledger, runtime, clock):
    task_id = assign(ledger, idempotency_key="assign-1")
    other = open_ledger(runtime.settings, schema=runtime.schema, clock=clock).ledger
    try:
        assert assign(other, idempotency_key="assign-1") == task_id
        with pytest.raises(IdempotencyConflict):
            assign(other, title="别的任务", idempotency_key="assign-1")
    finally:
        other.close()


# --- concurrency -------------------------------------------------------------------------------------


def _worker(args) -> list[str]:
    url_env, task_id, worker, count, barrier = args
    clock = ManualClock.__new__(ManualClock)
    from datetime import datetime, timezone

    clock._now = datetime(2026, 3, 3, tzinfo=timezone.utc)
    ledger = Ledger(url_env, clock=clock)
    outcomes = []
    try:
        barrier.wait(timeout=30)
        try:
            ledger.acknowledge(FINANCE, task_id)
            outcomes.append("acknowledged")
        except errors.AlreadyAcknowledged:
            outcomes.append("already")
        for i in range(count):
            text = f"worker {worker} report {i}"
            try:
                ledger.report_progress(FINANCE, task_id, percent=i, text=text)
                outcomes.append(text)
            except ConcurrentChange:
                outcomes.append("conflict: " + text)
    finally:
        ledger.close()
    return outcomes


def test_two_processes_changing_one_task_lose_and_double_nothing(ledger, runtime):
    task_id = assign(ledger)
    env = eventsourcing_env(runtime.url, schema=runtime.schema)
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    barrier = manager.Barrier(2)
    count = 15
    with context.Pool(2) as pool:
        results = pool.map(_worker, [(env, task_id, w, count, barrier) for w in (1, 2)])
    manager.shutdown()

    assert sorted(r[0] for r in results) == ["acknowledged", "already"], "exactly one acknowledgement wins"
    history = EventLog(ledger).history(task_id)
    types = [e.type for e in history]
    assert types.count("Task.Acknowledged") == 1
    # Every report a worker was told succeeded is in the log exactly once; none told "conflict" is.
    succeeded = [o for r in results for o in r[1:] if not o.startswith("conflict")]
    texts = [e.data["text"] for e in history if e.type == "Task.ProgressReported"]
    assert sorted(texts) == sorted(succeeded)
    assert len(succeeded) >= count, "bounded retries with back-off let most writes through"
    assert [e.version for e in history] == list(range(1, len(history) + 1))


def test_tasks_are_snapshotted(ledger, runtime):
    task_id = assign(ledger)
    ledger.acknowledge(FINANCE, task_id)
    for i in range(25):
        ledger.report_progress(FINANCE, task_id, percent=i, text=f"report {i}")
    snapshots = list(ledger.snapshots.get(ledger.task(task_id).id))
    assert [s.originator_version for s in snapshots] == [20]
    assert ledger.task(task_id).percent == 24
    assert ledger.task(task_id, version=4).percent == 1  # assigned, acknowledged, 0 %, 1 %


# --- set-up and storage ------------------------------------------------------------------------------


def test_init_twice_is_harmless(runtime, clock):
    before = runtime.ledger.position()
    again = initialise(runtime.settings, schema=runtime.schema, clock=clock)
    try:
        assert again.ledger.position() == before
        assert len(again.ledger.units()) == 26
    finally:
        again.ledger.close()


def test_the_ledger_refuses_to_store_events_anywhere_but_postgresql():
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})


def test_task_type_is_checked_on_load(ledger):
    topic_id = ledger.propose_topic(FINANCE, title="议题").result["id"]
    with pytest.raises(errors.NotFound):
        ledger.task(topic_id)
    assert ledger.topic(topic_id).title == "议题", "the topic itself still loads"


# --- topics and meetings ---------------------------------------------------------------------------


def held_meeting(ledger, clock, number: str) -> str:
    meeting = ledger.schedule_meeting(OFFICE, kind="office", title="办公室成员工作会议", date=clock.now().date(),
                                      location="会议室", chair="办公室主任").result["id"]
    ledger.record_attendance(OFFICE, meeting, present=["culture-tourism", "finance"], absent=[])
    ledger.draft_minutes(OFFICE, meeting, number=number, summary="纪要", items=[
        {"title": "事项", "text": "内容", "category": "other", "outcome": "agreed"}])
    return meeting


def test_two_issued_minutes_cannot_share_a_number(ledger, clock):
    first = held_meeting(ledger, clock, "鹿文协纪〔2026〕9号")
    second = held_meeting(ledger, clock, "鹿文协纪〔2026〕9号")
    ledger.issue_minutes(OFFICE, first)
    before = ledger.position()
    with pytest.raises(errors.DuplicateMinutesNumber):
        ledger.issue_minutes(OFFICE, second)
    assert ledger.position() == before
    assert ledger.meeting(second).status == "minutes_drafted"


def test_only_accepted_topics_go_on_an_agenda_and_a_liaison_proposes_for_its_own_unit(ledger, clock):
    topic = ledger.propose_topic(FINANCE, title="议题").result["id"]
    assert ledger.topic(topic).proposed_by == "finance"
    with pytest.raises(errors.NotPermitted):
        ledger.propose_topic(FINANCE, title="议题", proposed_by="education")
    before = ledger.position()
    with pytest.raises(errors.TopicNotOpen):
        ledger.schedule_meeting(OFFICE, kind="plenary", title="全体会议", date=date(2026, 4, 1), location="会议室",
                                chair="召集人", topics=[topic])
    assert ledger.position() == before, "neither the meeting nor the agenda placement was recorded"
    ledger.decline_topic(OFFICE, topic, reason="不属于协调组职责")
    with pytest.raises(errors.TopicNotOpen):
        ledger.accept_topic(OFFICE, topic)
