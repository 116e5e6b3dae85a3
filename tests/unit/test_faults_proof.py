"""The fault harness's proofs (faults/proof.py) on synthetic data; the full run is `make faults`."""

from collections import Counter

from faults import proof
from faults.client import Attempt, Command


def command(marker: str | None, *statuses: str, final: str | None = None, seconds: float = 0.05) -> Command:
    c = Command(client="finance-liaison", kind="progress", method="POST", path="/api/v1/tasks/t/progress",
                body={}, key=f"k-{marker}", marker=marker)
    c.attempts = [Attempt(at=float(i), status=s, seconds=seconds) for i, s in enumerate(statuses)]
    c.final = final if final is not None else statuses[-1]
    return c


def event(kind: str, marker: str | None, field: str = "text") -> dict:
    return {"type": kind, "data": {field: f"[{marker}] 进展" if marker else "no marker here"}}


def test_markers_are_found_in_progress_texts_and_urging_messages_only():
    m1, m2, m3 = (proof.marker("ab12cd", "finance-liaison", n) for n in (1, 2, 3))
    events = [
        event("Task.ProgressReported", m1),
        event("Task.ProgressReported", m1),
        event("Task.Urged", m2, "message"),
        event("Task.Commented", m3),  # not a type the load writes
        event("Task.ProgressReported", None),
        {"type": "Task.Acknowledged", "data": {}},
    ]
    assert proof.count_markers(events) == Counter({m1: 2, m2: 1})
    assert proof.find_marker("前缀 [FXab12cd-office-17] 后缀") == "FXab12cd-office-17"
    assert proof.find_marker(None) is None


def test_exactly_once_passes_when_each_acknowledged_command_is_there_once():
    commands = [
        command("FXa-x-1", "201"),
        command("FXa-x-2", "error:ConnectionResetError", "503", "201"),  # retried with the same key
        command("FXa-x-3", "503", "timeout", final="unacknowledged"),  # gave up; recorded once is fine
        command("FXa-x-4", "503", "timeout", final="unacknowledged"),  # gave up; not recorded is fine
        command("FXa-x-5", "409"),  # refused at once: never recorded
    ]
    result = proof.exactly_once(commands, Counter({"FXa-x-1": 1, "FXa-x-2": 1, "FXa-x-3": 1}))
    assert result.passed, result.render()
    assert "unacknowledged that were in fact recorded (once): 1 / 2" in result.render()


def test_exactly_once_fails_on_a_lost_a_doubled_or_an_invented_write():
    acked = [command("FXa-x-1", "201"), command("FXa-x-2", "500", "201")]
    assert not proof.exactly_once(acked, Counter({"FXa-x-1": 1})).passed  # x-2 lost
    doubled = proof.exactly_once(acked, Counter({"FXa-x-1": 1, "FXa-x-2": 2}))
    assert not doubled.passed and "doubled: FXa-x-2" in doubled.render()
    unacked_twice = [command("FXa-x-1", "201"), command("FXa-x-3", "timeout", final="unacknowledged")]
    assert not proof.exactly_once(unacked_twice, Counter({"FXa-x-1": 1, "FXa-x-3": 2})).passed
    refused = [command("FXa-x-1", "201"), command("FXa-x-5", "409")]
    assert not proof.exactly_once(refused, Counter({"FXa-x-1": 1, "FXa-x-5": 1})).passed
    stranger = proof.exactly_once([command("FXa-x-1", "201")], Counter({"FXa-x-1": 1, "FXa-y-9": 1}))
    assert not stranger.passed and "no client sent" in stranger.render()
    assert not proof.exactly_once([], Counter()).passed  # nothing acknowledged proves nothing


def test_clean_errors_flags_5xx_other_than_503_and_hangs():
    fine = [command("FXa-x-1", "503", "error:ConnectionRefusedError", "201")]
    assert proof.clean_errors(fine).passed
    bad = proof.clean_errors([command("FXa-x-1", "500", "201"), command("FXa-x-2", "502", "201")])
    assert not bad.passed and "5xx other than 503: 2" in bad.render()
    hung = proof.clean_errors([command("FXa-x-1", "201", seconds=16.0)], hang_seconds=15)
    assert not hung.passed and "longer than 15 s: 1" in hung.render()


def test_summary_counts_retries_and_503s():
    s = proof.summarise([command("FXa-x-1", "503", "503", "201"), command("FXa-x-2", "timeout", final="unacknowledged"),
                         command(None, "409")])
    assert s == {"commands": 3, "acknowledged": 1, "unacknowledged": 1, "refused_409": 1, "refused_other": 0,
                 "retries": 2, "seen_503": 2, "seen_other_5xx": 0, "seen_no_answer": 1}


def test_snapshots_compare_row_for_row():
    before = {"audit_events": [("(1,a)",), ("(2,b)",)], "tasks_now": [("(x)",)]}
    same = proof.compare_snapshots(before, {k: list(v) for k, v in before.items()})
    assert same.passed and "audit_events: 2 rows compared, equal" in same.render()
    differs = proof.compare_snapshots(before, {"audit_events": [("(1,a)",), ("(2,c)",)], "tasks_now": [("(x)",)]})
    assert not differs.passed and "1 rows only in the live view, 1 only in the rebuild" in differs.render()
    assert not proof.compare_snapshots(before, {"audit_events": before["audit_events"]}).passed
    assert not proof.compare_snapshots({}, {}).passed


def test_instants_going_backwards_within_one_aggregate_are_found():
    rows = [("a", 1, 10, 1.0), ("a", 2, 12, 3.0), ("a", 3, 15, 2.5), ("b", 1, 11, 0.5), ("b", 2, 13, 0.5)]
    assert proof.instants_going_backwards(rows) == [("a", 3, 15, 2.5, 3.0)]
    assert proof.instants_going_backwards([]) == []
