"""The benchmark's history generator writes a valid, multi-year history (no timing here)."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.history import HISTORY_END, generate
from projections.eventlog import EventLog

pytestmark = pytest.mark.db


def test_the_generator_writes_the_events_asked_for_over_the_years_and_nothing_after_its_end(ledger):
    start = ledger.position()
    head = generate(ledger, 3000, first_year=2024, report=lambda *_: None)
    assert head - start >= 3000
    events = [e for e in EventLog(ledger).iter(after=start)]
    assert max(e.at for e in events) <= HISTORY_END
    assert {e.at.year for e in events} == {2024, 2025, 2026}
    types = Counter(e.type for e in events)
    for kind in ("Meeting.MinutesIssued", "Resolution.Adopted", "Task.Assigned", "Task.Acknowledged",
                 "Task.ProgressReported", "Task.Urged", "Task.ExtensionDecided", "Task.CompletionDecided",
                 "Task.Cancelled"):
        assert types[kind] > 0, kind
