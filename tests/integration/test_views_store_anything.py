"""Whatever the write side accepts, every view can store (issue 7): a property over all of Unicode and the
date range, through the commands and through every view and the queries over them.

A value the domain refuses changes nothing; a value it accepts never stops a view or a read.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.storage import connect
from domain.errors import DomainError, InvalidValue
from domain.reports import Period
from projections import queries, registers
from projections.report import supervision_report
from projections.tracking import catch_up, position_of
from projections.worker import all_views
from tests.conftest import FINANCE, OFFICE

pytestmark = pytest.mark.db

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # surrogates, NUL and controls included
ANY_TEXT = st.text(ANY_CHARACTER, max_size=40) | st.sampled_from(["\x00", "\ud800", "a\u0000b", " ", "\n\t", "中文"])
ANY_DATE = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)) | st.dates(
    min_value=date(2026, 3, 2), max_value=date(2036, 3, 1))
EXAMPLES = int(os.environ.get("COORDINATION_PROPERTY_EXAMPLES", "60"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=ANY_TEXT, text=ANY_TEXT, deadline=ANY_DATE, extension=ANY_DATE)
def test_whatever_the_write_side_accepts_every_view_stores(runtime, title, text, deadline, extension):
    ledger = runtime.ledger
    before = ledger.position()
    try:
        task = ledger.assign_task(OFFICE, title=title, description=text, source={"kind": "plan", "reference": text},
                                  category="other", lead_unit="finance", co_units=[], deadline=deadline).result["id"]
    except InvalidValue:
        assert ledger.position() == before, "a refused command records nothing"
        task = ledger.assign_task(OFFICE, title="任务", source={"kind": "plan", "reference": "方案"},
                                  category="other", lead_unit="finance", co_units=[],
                                  deadline=date(2026, 6, 30)).result["id"]
    ledger.acknowledge(FINANCE, task)
    for command in (
        lambda: ledger.report_progress(FINANCE, task, percent=10, text=text),
        lambda: ledger.request_extension(FINANCE, task, new_deadline=extension, reason=text),
        lambda: ledger.propose_topic(FINANCE, title=title, background=text),
        lambda: ledger.change_liaison(OFFICE, "finance", name=title, title=text, reason="调整"),
    ):
        before = ledger.position()
        try:
            command()
        except DomainError:
            assert ledger.position() == before, "a refused command records nothing"

    now = datetime.fromisoformat("2026-03-03T09:00:00+08:00")
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        for view in all_views(ledger):
            catch_up(ledger, conn, view)
            assert position_of(conn, view.name) == ledger.position(), view.name
        queries.board(conn, "finance", now)
        queries.board(conn, "finance", now, as_of=datetime.fromisoformat("2026-03-02T12:00:00+08:00"))
        queries.dashboard(conn, now)
        queries.tasks(conn, now)
        registers.meetings(conn)
        supervision_report(conn, Period.parse("2026H1"), now)
