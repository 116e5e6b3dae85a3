"""The properties, as pure functions over what the clients recorded and what the log holds.

Nothing here talks to a server, so tests/unit/test_faults_proof.py covers it on synthetic data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from faults.client import Command

MARKER = re.compile(r"\[(FX[0-9a-f]+-[A-Za-z0-9_.-]+-\d+)\]")
"""A command's unique marker inside its text: `[FX<run>-<client>-<seq>]`."""

MARKED_FIELDS = {"Task.ProgressReported": "text", "Task.Urged": "message"}
"""The event types the load writes, and the field of `data` carrying the marker."""


def marker(run_id: str, client: str, seq: int) -> str:
    return f"FX{run_id}-{client}-{seq}"


def find_marker(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    match = MARKER.search(text)
    return match.group(1) if match else None


def count_markers(events: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many events of the marked types carry each marker (events as the audit API returns them)."""
    counts: Counter[str] = Counter()
    for event in events:
        name = MARKED_FIELDS.get(event.get("type", ""))
        if name is None:
            continue
        found = find_marker((event.get("data") or {}).get(name))
        if found is not None:
            counts[found] += 1
    return counts


@dataclass
class Result:
    name: str
    passed: bool
    lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        head = f"[{'PASS' if self.passed else 'FAIL'}] {self.name}"
        return "\n".join([head, *(f"       {line}" for line in self.lines)])


def exactly_once(commands: Sequence[Command], counts: Counter[str], *, source: str = "the log") -> Result:
    """Every acknowledged command is in the log exactly once; the others at most once (refused: never).

    - acknowledged (a 2xx was finally received): exactly 1 event with its marker;
    - unacknowledged (the client gave up) or refused after an ambiguous attempt (an attempt with no answer
      or a 5xx, which may have committed): at most 1 — how many were in fact recorded is reported;
    - refused with no ambiguous attempt (e.g. 409 at once): 0.
    Markers in the log that no command sent are reported too (they would be invented writes).
    """
    marked = [c for c in commands if c.marker]
    acked = [c for c in marked if c.acknowledged]
    unacked = [c for c in marked if c.final == "unacknowledged"]
    refused = [c for c in marked if not c.acknowledged and c.final != "unacknowledged"]
    refused_ambiguous = [c for c in refused if c.ambiguous]
    refused_clean = [c for c in refused if not c.ambiguous]

    missing = [c for c in acked if counts.get(c.marker, 0) == 0]
    doubled = [c for c in marked if counts.get(c.marker, 0) > 1]
    unacked_recorded = [c for c in unacked if counts.get(c.marker, 0) >= 1]
    ambiguous_recorded = [c for c in refused_ambiguous if counts.get(c.marker, 0) >= 1]
    refused_recorded = [c for c in refused_clean if counts.get(c.marker, 0) >= 1]
    sent = {c.marker for c in marked}
    strangers = sorted(m for m in counts if m not in sent)

    lines = [
        f"marked commands {len(marked)}: acknowledged {len(acked)}, unacknowledged {len(unacked)}, "
        f"refused {len(refused)} ({len(refused_ambiguous)} after an ambiguous attempt)",
        f"acknowledged found exactly once in {source}: {sum(1 for c in acked if counts.get(c.marker, 0) == 1)}"
        f" / {len(acked)}; missing {len(missing)}; more than once {len(doubled)}",
        f"unacknowledged that were in fact recorded (once): {len(unacked_recorded)} / {len(unacked)}",
    ]
    if refused_ambiguous:
        lines.append(f"refused after an ambiguous attempt but recorded: {len(ambiguous_recorded)} / {len(refused_ambiguous)}")
    if refused_recorded:
        lines.append(f"refused at once but recorded anyway: {len(refused_recorded)}")
    if strangers:
        lines.append(f"markers in {source} that no client sent: {len(strangers)} (e.g. {strangers[:3]})")
    for label, bad in (("missing", missing), ("doubled", doubled), ("recorded though refused", refused_recorded)):
        for c in bad[:5]:
            lines.append(f"{label}: {c.marker} key={c.key} {c.path} statuses={c.statuses} count={counts.get(c.marker, 0)}")
        if len(bad) > 5:
            lines.append(f"... and {len(bad) - 5} more {label}")
    passed = bool(acked) and not missing and not doubled and not refused_recorded and not strangers
    if not acked:
        lines.append("no command was acknowledged at all: nothing proven")
    return Result(f"1. every acknowledged command is in {source} exactly once", passed, lines)


def clean_errors(commands: Sequence[Command], *, hang_seconds: float = 15.0) -> Result:
    """Clients saw no 5xx other than 503, and no attempt took longer than `hang_seconds`."""
    bad: list[tuple[Command, str]] = []
    hung: list[tuple[Command, float, str]] = []
    for c in commands:
        for a in c.attempts:
            if a.status.startswith("5") and a.status != "503":
                bad.append((c, a.status))
            if a.seconds > hang_seconds:
                hung.append((c, a.seconds, a.status))
    seen = Counter(a.status for c in commands for a in c.attempts)
    lines = [f"attempts {sum(seen.values())}; statuses seen: "
             + ", ".join(f"{s}×{n}" for s, n in sorted(seen.items()))]
    lines.append(f"5xx other than 503: {len(bad)}")
    for c, status in bad[:10]:
        lines.append(f"  {status} {c.method} {c.path} key={c.key} ({c.client}, statuses {c.statuses})")
    if len(bad) > 10:
        lines.append(f"  ... and {len(bad) - 10} more")
    longest = max((a.seconds for c in commands for a in c.attempts), default=0.0)
    lines.append(f"attempts longer than {hang_seconds:g} s: {len(hung)} (longest {longest:.1f} s)")
    for c, seconds, status in hung[:10]:
        lines.append(f"  {seconds:.1f} s → {status} {c.method} {c.path} ({c.client})")
    return Result(f"2. no 5xx other than 503, no request hung longer than {hang_seconds:g} s",
                  not bad and not hung, lines)


def summarise(commands: Sequence[Command]) -> dict[str, int]:
    attempts = [a for c in commands for a in c.attempts]
    return {
        "commands": len(commands),
        "acknowledged": sum(1 for c in commands if c.acknowledged),
        "unacknowledged": sum(1 for c in commands if c.final == "unacknowledged"),
        "refused_409": sum(1 for c in commands if c.final == "409"),
        "refused_other": sum(1 for c in commands if not c.acknowledged and c.final not in ("409", "unacknowledged")),
        "retries": len(attempts) - len(commands),
        "seen_503": sum(1 for a in attempts if a.status == "503"),
        "seen_other_5xx": sum(1 for a in attempts if a.status.startswith("5") and a.status != "503"),
        "seen_no_answer": sum(1 for a in attempts if not a.status[0].isdigit()),
    }


Snapshot = Mapping[str, Sequence[tuple]]


def compare_snapshots(before: Snapshot, after: Snapshot) -> Result:
    """Every table of the views equals its rebuild, row for row (rows ordered by primary key)."""
    lines: list[str] = []
    passed = True
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table), after.get(table)
        if old is None or new is None:
            passed = False
            lines.append(f"{table}: only {'after' if old is None else 'before'} the rebuild")
            continue
        if list(old) == list(new):
            lines.append(f"{table}: {len(old)} rows compared, equal")
            continue
        passed = False
        old_set, new_set = Counter(old), Counter(new)
        stale = list((old_set - new_set).elements())
        fresh = list((new_set - old_set).elements())
        lines.append(f"{table}: {len(old)} rows before, {len(new)} after the rebuild — DIFFERENT: "
                     f"{len(stale)} rows only in the live view, {len(fresh)} only in the rebuild")
        for row in stale[:2]:
            lines.append(f"  live only:    {_short(row)}")
        for row in fresh[:2]:
            lines.append(f"  rebuild only: {_short(row)}")
    if not before:
        passed = False
        lines.append("no tables compared")
    return Result("4. every view equals a fresh rebuild", passed, lines)


def instants_going_backwards(rows: Iterable[tuple[Any, int, int, Any]]) -> list[tuple[Any, int, int, Any, Any]]:
    """Events whose instant is earlier than the previous version's of the same aggregate.

    `rows` are (aggregate id, version, log position, instant), ordered by aggregate and version. The views
    of states over time (`[valid_from, valid_to)`) assume the instants of one aggregate never go back.
    Returns (aggregate id, version, position, instant, previous instant) for each offender.
    """
    found = []
    previous = None
    for aggregate_id, version, position, at in rows:
        if previous is not None and previous[0] == aggregate_id and at is not None and previous[1] is not None \
                and at < previous[1]:
            found.append((aggregate_id, version, position, at, previous[1]))
        previous = (aggregate_id, at)
    return found


def _short(row: tuple, limit: int = 300) -> str:
    text = repr(row)
    return text if len(text) <= limit else text[:limit] + "…"
