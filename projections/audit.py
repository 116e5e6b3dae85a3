"""The audit index (审计日志): every event with position, instant, type, aggregate, actor and units."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from uuid import UUID

import psycopg

from projections.eventlog import LoggedEvent
from projections.storable import storable
from projections.tracking import to_json


TASK_UNITS_KEPT = 200_000
"""Tasks whose units the audit view keeps in memory (about 380 bytes each: at most ~75 MiB); the units of older
ones are read from audit_task_units when an event of theirs comes."""


class AuditIndex:
    """Total: every event gets a row, whatever its type, so the position always advances."""

    name = "audit"
    tables = ("audit_events", "audit_task_units")
    topics = None

    def __init__(self, kept: int = TASK_UNITS_KEPT) -> None:
        self.task_units: OrderedDict[UUID, list[str]] = OrderedDict()
        """The current units of the tasks seen last, mirrored from audit_task_units so that a batch needs few reads."""
        self.kept = kept

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        rows = []
        assigned: dict[UUID, list[str]] = {}  # tasks whose units this batch sets: written once, at the end
        for event in events:
            actor = storable(event.actor)
            rows.append((event.position, event.at, event.type, event.aggregate_type, event.aggregate_id,
                         event.version, actor.get("username"), actor.get("unit"),
                         storable(sorted(self._units(conn, event, assigned))), to_json(event.data)))
        with conn.cursor() as cur:
            with cur.copy("COPY audit_events (position, at, type, aggregate_type, aggregate_id, version, actor_username,"
                          " actor_unit, units, data) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if assigned:
                cur.executemany("INSERT INTO audit_task_units (task_id, units) VALUES (%s, %s)"
                                " ON CONFLICT (task_id) DO UPDATE SET units = EXCLUDED.units", list(assigned.items()))

    def discard(self) -> None:
        self.task_units.clear()

    def _units(self, conn: psycopg.Connection, event: LoggedEvent, assigned: dict[UUID, list[str]]) -> set[str]:
        """The units an event concerns: its actor's, any it names, and for a task its lead and co-units."""
        units = {event.actor.get("unit")} | _named_units(event.data)
        if event.aggregate_type == "Task":
            task_id = event.aggregate_id
            if "lead_unit" in event.data:
                assigned[task_id] = sorted({event.data["lead_unit"], *event.data.get("co_units", [])})
                current = assigned[task_id]
            elif task_id in assigned:  # set earlier in this batch, not written yet
                current = assigned[task_id]
            elif task_id in self.task_units:
                current = self.task_units[task_id]
            else:
                row = conn.execute("SELECT units FROM audit_task_units WHERE task_id = %s", (task_id,)).fetchone()
                current = list(row[0]) if row else []
            self.task_units[task_id] = current
            self.task_units.move_to_end(task_id)
            if len(self.task_units) > self.kept:  # bounded: a ten-year log holds over a million tasks
                self.task_units.popitem(last=False)
            units |= set(current)
        return {u for u in units if u}


def _named_units(data: dict) -> set[str]:
    named = set()
    for key in ("unit", "lead_unit", "proposed_by", "code"):
        if isinstance(data.get(key), str):
            named.add(data[key])
    for key in ("co_units", "present"):
        if isinstance(data.get(key), list):
            named.update(u for u in data[key] if isinstance(u, str))
    return named


def events_page(conn: psycopg.Connection, *, after: int = 0, limit: int = 100, unit: str | None = None,
                aggregate_id: str | None = None, type: str | None = None, before: int | None = None,
                since: datetime | None = None, until: datetime | None = None, latest: bool = False) -> dict:
    """A page of the audit log, oldest first; paging by `next_after` yields every event exactly once.

    Positions can have gaps (a save rolled back by a conflict uses one up), so pages go by
    "after this position", never by counting. With `before`, the page holds the `limit` events just
    below that position (still oldest first), for paging backwards; with `latest`, the newest `limit` events;
    `since` ≤ at < `until` bounds the period.
    """
    from psycopg.rows import dict_row

    backwards = before is not None or latest
    clauses, args = ["position > %s"], [after]
    if before is not None:
        clauses.append("position < %s")
        args.append(before)
    if since is not None:
        clauses.append("at >= %s")
        args.append(since)
    if until is not None:
        clauses.append("at < %s")
        args.append(until)
    if unit is not None:
        clauses.append("%s = ANY(units)")
        args.append(unit)
    if aggregate_id is not None:
        clauses.append("aggregate_id = %s")
        args.append(aggregate_id)
    if type is not None:
        clauses.append("type = %s")
        args.append(type)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT * FROM audit_events WHERE {' AND '.join(clauses)}"
            f" ORDER BY position {'DESC' if backwards else ''} LIMIT %s",
            (*args, limit),
        ).fetchall()
    if backwards:
        rows.reverse()
    events = [{"position": r["position"], "at": r["at"].isoformat(), "type": r["type"],
               "aggregate_type": r["aggregate_type"], "aggregate_id": str(r["aggregate_id"]), "version": r["version"],
               "actor": {"username": r["actor_username"], "unit": r["actor_unit"]}, "data": r["data"]}
              for r in rows]
    return {"events": events, "next_after": events[-1]["position"] if events else after}


def titles(conn: psycopg.Connection, aggregate_ids: list[str]) -> dict[str, str]:
    """The current titles of the tasks and meetings among `aggregate_ids` (for links in the audit log)."""
    if not aggregate_ids:
        return {}
    rows = conn.execute(
        "SELECT task_id, title FROM tasks_now WHERE task_id = ANY(%s::uuid[])"
        " UNION ALL SELECT meeting_id, title FROM meetings WHERE meeting_id = ANY(%s::uuid[])",
        (aggregate_ids, aggregate_ids)).fetchall()
    return {str(aggregate_id): title for aggregate_id, title in rows}
