"""Generate a large, believable history: many years of meetings and tasks for the 26 units.

Every event is made by the domain's own commands (so every rule holds) and saved through the
ledger's `save`, many aggregates per transaction — the bulk path, not one HTTP call per event.
Each task has 5–14 events (assignment, acknowledgements, progress, urging, extension, completion…).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from coordination.ledger import Ledger
from domain.actors import Actor
from domain.categories import CATEGORY_CODES
from domain.deadlines import SHANGHAI, deadline_end
from domain.meetings import Meeting, MinutesNumber, Resolution
from domain.tasks import Task
from domain.charter import UNIT_CODES

HISTORY_END = datetime(2026, 11, 20, 18, tzinfo=SHANGHAI)
"""No event after this instant: the benchmark asks its questions on 2026-11-22."""
STILL_OPEN_AFTER = date(2025, 10, 1)
"""Offices close their old work: only tasks due after this may still be open."""

OFFICE = Actor("office", "culture-tourism", frozenset({"office"}))
SUPERVISOR = Actor("dukao", "supervision-office", frozenset({"supervisor"}))


def liaison(unit: str) -> Actor:
    return Actor(f"{unit}-liaison", unit, frozenset({"liaison"}))


def generate(ledger: Ledger, events: int, *, first_year: int = 2017, last_year: int = 2026, seed: int = 7,
             per_save: int = 40, report=print) -> int:
    """Write about `events` events spread over the years; returns the log position reached."""
    rng = random.Random(seed)
    years = list(range(first_year, last_year + 1))
    per_task = 8.7  # events a task, on average; corrected after each year
    start_position = ledger.position()
    for index, year in enumerate(years):
        before = ledger.position()
        resolutions = _meetings(ledger, year, rng)
        remaining = events - (before - start_position)
        per_year = max(math.ceil(remaining / (len(years) - index) / per_task), 1)
        last = index == len(years) - 1
        pending: list = []
        for n in range(per_year * 2 if last else per_year):
            pending.append(_task(year, n, per_year, rng, resolutions))
            if len(pending) >= per_save:
                ledger.save(*pending)
                pending = []
                if last and ledger.position() - start_position >= events:
                    break  # the last year tops up to the number asked for
        if pending:
            ledger.save(*pending)
        per_task = (ledger.position() - before) / per_year
        report(f"  {year}: {ledger.position():,} events so far")
    return ledger.position()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


def _meetings(ledger: Ledger, year: int, rng: random.Random) -> list[tuple[str, object]]:
    resolutions = []
    for index, (month, kind) in enumerate([(1, "plenary"), (4, "office"), (7, "plenary"), (10, "office")]):
        day = date(year, month, 20)
        meeting = Meeting.schedule(kind=kind, title=f"{year}年第{index + 1}次会议", date=day, location="会议室",
                                   chair="召集人", topics=[], by=OFFICE, at=_at(day - timedelta(days=10)))
        meeting.record_attendance(present=list(UNIT_CODES[:20]), absent=[], invited=None, by=OFFICE, at=_at(day, 15))
        items = [{"title": f"事项{i}", "text": "按分工落实", "category": CATEGORY_CODES[(index * 3 + i) % 8],
                  "outcome": "agreed"} for i in range(4)]
        number = f"鹿文协纪〔{year}〕{index + 1}号"
        meeting.draft_minutes(number=number, summary="纪要", items=items, by=OFFICE, at=_at(day, 16))
        issued_at = _at(day + timedelta(days=2))
        agreed = meeting.issue_minutes(by=OFFICE, at=issued_at)
        made = [Resolution(meeting_id=meeting.id, item=i, title=items[i]["title"], text=items[i]["text"],
                           category=items[i]["category"], minutes_number=number, actor=OFFICE.stamp(), at=issued_at)
                for i in agreed]
        reservation = MinutesNumber(number=number, meeting_id=meeting.id, actor=OFFICE.stamp(), at=issued_at)
        ledger.save(meeting, reservation, *made)
        resolutions += [(r.category, r.id, issued_at) for r in made]
    return resolutions


def _task(year: int, n: int, per_year: int, rng: random.Random, resolutions: list) -> Task:
    # Tasks spread over 25 Jan – 11 Nov; the last year's top-up tasks (n ≥ per_year) fall between them.
    start = (_at(date(year, 1, 25)) + timedelta(minutes=int((n % per_year) * (290 * 24 * 60) / per_year))
             + timedelta(minutes=n // per_year))
    category, resolution_id, _ = rng.choice([r for r in resolutions if r[2] <= start] or resolutions[:1])
    lead = rng.choice(UNIT_CODES)
    co = rng.sample([u for u in UNIT_CODES if u != lead], rng.randint(0, 2))
    deadline = (start + timedelta(days=rng.randint(20, 120))).astimezone(SHANGHAI).date()
    task = Task.assign(title=f"任务{year}-{n}", description="", source={"kind": "resolution",
                       "resolution_id": resolution_id}, category=category, lead_unit=lead, co_units=co,
                       deadline=deadline, milestones=None, feedback_every=rng.choice([None, "month", "quarter"]),
                       by=OFFICE, at=start)
    steps: list[tuple[datetime, object]] = []
    t = start + timedelta(days=1)
    steps.append((t, lambda at: task.acknowledge(by=liaison(lead), at=at)))
    for unit in co:
        steps.append((t + timedelta(hours=2), lambda at, u=unit: task.acknowledge(by=liaison(u), at=at)))
    for step in range(rng.randint(2, 4)):
        t += timedelta(days=rng.randint(3, 10))
        steps.append((t, lambda at, p=min(95, 25 * (step + 1)): task.report_progress(
            percent=p, text="进展", evidence=None, by=liaison(lead), at=at)))
    fate = rng.random()
    if fate < 0.1:
        steps.append((t + timedelta(days=1), lambda at: task.cancel(reason="撤销", by=OFFICE, at=at)))
    else:
        if fate < 0.3:
            steps.append((t + timedelta(days=1), lambda at: task.urge(message="请加快", by=SUPERVISOR, at=at)))
        if fate < 0.4 and t + timedelta(days=1) < deadline_end(deadline):
            steps.append((t + timedelta(days=1), lambda at: task.request_extension(
                new_deadline=deadline + timedelta(days=30), reason="延期", by=liaison(lead), at=at)))
            approved = rng.random() < 0.7
            steps.append((t + timedelta(days=2), lambda at: task.decide_extension(
                request=1, approved=approved, comment="审批意见", by=OFFICE, at=at)))
        if fate < 0.85 or deadline < STILL_OPEN_AFTER:
            done = max(_at(deadline) + timedelta(days=rng.randint(-15, 10)), t + timedelta(days=3))
            steps.append((done, lambda at: task.request_completion(summary="完成", evidence=None,
                                                                   by=liaison(lead), at=at)))
            steps.append((done + timedelta(days=2), lambda at: task.decide_completion(
                accepted=True, comment="", by=OFFICE, at=at)))
    for at, action in steps:
        if at > HISTORY_END:
            break  # nothing is written after the benchmark's "now"
        action(at)
    return task
