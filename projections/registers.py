"""Registers: meetings, minutes and resolutions — now or as of any instant — and the chain meeting →
resolution → task → evidence → verification, readable both ways."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from eventsourcing.application import Application

from domain.meetings import Meeting, Resolution
from projections.eventlog import LoggedEvent, topics_of
from projections.queries import states_at
from projections.replay import Replayer
from projections.storable import storable
from projections.tracking import plain


class Registers:
    name = "registers"
    tables = ("meetings", "resolutions", "meeting_versions")
    topics = topics_of(Meeting, Resolution)

    def __init__(self, ledger: Application):
        self.replayer = Replayer(ledger)

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        for event in events:
            self.apply(conn, event)

    def apply(self, conn: psycopg.Connection, event: LoggedEvent) -> None:
        if event.aggregate_type == "Meeting":
            self._meeting(conn, event)
        elif event.type == "Resolution.Adopted":
            d = event.data
            conn.execute(
                "INSERT INTO resolutions (resolution_id, meeting_id, item, title, text, category, minutes_number,"
                " adopted_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                storable((event.aggregate_id, d["meeting_id"], d["item"], d["title"], d["text"], d["category"],
                          d["minutes_number"], event.at, event.position)),
            )

    def _meeting(self, conn: psycopg.Connection, event: LoggedEvent) -> None:
        m = self.replayer.state_after(event)
        correction = ([{"correction": event.data["correction"], "reason": event.data["reason"],
                        "at": event.at.isoformat(), "by": event.actor}]
                      if event.type == "Meeting.MinutesCorrected" else [])
        conn.execute(
            "INSERT INTO meetings (meeting_id, kind, title, date, location, chair, status, topics, attendance,"
            " minutes, issued_at, corrections, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (meeting_id) DO UPDATE SET status = EXCLUDED.status, attendance = EXCLUDED.attendance,"
            " minutes = EXCLUDED.minutes, issued_at = EXCLUDED.issued_at,"
            " corrections = meetings.corrections || EXCLUDED.corrections, position = EXCLUDED.position",
            (*storable((m.id, m.kind, m.title, m.date, m.location, m.chair, m.status, list(m.topics))),
             Jsonb(plain(m.attendance)), Jsonb(plain(m.minutes)), m.issued_at, Jsonb(plain(correction)), event.position),
        )
        # The state just written is also a version, valid from this event until the meeting's next one.
        conn.execute("UPDATE meeting_versions SET valid_to = greatest(%s, valid_from)"
                     " WHERE meeting_id = %s AND valid_to IS NULL", (event.at, m.id))
        conn.execute("INSERT INTO meeting_versions SELECT *, %s, %s, NULL FROM meetings WHERE meeting_id = %s",
                     (event.version, event.at, m.id))

    def discard(self) -> None:
        self.replayer.discard()
# --- queries -------------------------------------------------------------------------------------------


def _rows(conn: psycopg.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, args).fetchall()


def _meetings_at(as_of: datetime | None) -> tuple[str, tuple[Any, ...]]:
    """The meetings as they stood at `as_of` (None: now), as a FROM clause and its arguments."""
    if as_of is None:
        return "meetings", ()
    return ("(SELECT * FROM meeting_versions WHERE tstzrange(valid_from, valid_to, '[)') @> %s::timestamptz)"
            " AS meetings", (as_of,))


def meetings(conn: psycopg.Connection, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """The meeting register, newest first (as of an instant, if given)."""
    source, args = _meetings_at(as_of)
    return [_meeting_out(m) for m in _rows(conn, f"SELECT * FROM {source} ORDER BY date DESC, title", args)]


def meeting(conn: psycopg.Connection, meeting_id: UUID | str, as_of: datetime | None = None) -> dict[str, Any] | None:
    """One meeting with its minutes, corrections and the resolutions it adopted (each with its tasks)."""
    source, args = _meetings_at(as_of)
    found = _rows(conn, f"SELECT * FROM {source} WHERE meeting_id = %s", (*args, str(meeting_id)))
    if not found:
        return None
    result = _meeting_out(found[0])
    result["resolutions"] = resolutions(conn, meeting_id=str(meeting_id), as_of=as_of)
    return result


def plenaries_in_year(conn: psycopg.Connection, year: int, as_of: datetime | None = None) -> dict[str, int]:
    """This year's plenaries (第七条: 1–2 a year): those whose minutes were issued, and those not yet issued."""
    source, args = _meetings_at(as_of)
    (row,) = _rows(conn, f"SELECT count(*) FILTER (WHERE status = 'minutes_issued') AS issued,"
                         f" count(*) FILTER (WHERE status <> 'minutes_issued') AS pending FROM {source}"
                         f" WHERE kind = 'plenary' AND extract(year FROM date) = %s", (*args, year))
    return {"issued": row["issued"], "pending": row["pending"]}


def resolutions(conn: psycopg.Connection, *, meeting_id: str | None = None, category: str | None = None,
                as_of: datetime | None = None) -> list[dict[str, Any]]:
    """议定事项台账, each with the tasks it was split into (their state now, or as of an instant)."""
    clauses, args = ["TRUE"], []
    if as_of is not None:
        clauses.append("adopted_at <= %s")
        args.append(as_of)
    if meeting_id is not None:
        clauses.append("meeting_id = %s")
        args.append(meeting_id)
    if category is not None:
        clauses.append("category = %s")
        args.append(category)
    rows = _rows(conn, f"SELECT * FROM resolutions WHERE {' AND '.join(clauses)} ORDER BY adopted_at, item",
                 tuple(args))
    tasks = sorted(states_at(conn, as_of, select="task_id, title, status, lead_unit, co_units, effective_deadline,"
                                                  " source->>'resolution_id' AS resolution_id",
                             where="source->>'resolution_id' = ANY(%s)",
                             params=([str(r["resolution_id"]) for r in rows],)),
                   key=lambda t: (t["title"], t["task_id"]))
    by_resolution: dict[str, list[dict[str, Any]]] = {}
    for t in tasks:
        by_resolution.setdefault(t["resolution_id"], []).append({
            "id": str(t["task_id"]), "title": t["title"], "status": t["status"], "lead_unit": t["lead_unit"],
            "co_units": list(t["co_units"]), "effective_deadline": t["effective_deadline"].isoformat()})
    return [{"id": str(r["resolution_id"]), "meeting_id": str(r["meeting_id"]), "item": r["item"],
             "title": r["title"], "text": r["text"], "category": r["category"],
             "minutes_number": r["minutes_number"], "adopted_at": r["adopted_at"].isoformat(),
             "tasks": by_resolution.get(str(r["resolution_id"]), [])} for r in rows]


def task_chain(conn: psycopg.Connection, task_id: UUID | str) -> dict[str, Any] | None:
    """From a task back to its resolution and meeting, and forward to its evidence and verification."""
    found = _rows(conn, "SELECT source FROM tasks_now WHERE task_id = %s", (str(task_id),))
    if not found:
        return None
    resolution = None
    source = found[0]["source"]
    if source.get("kind") == "resolution":
        rows = resolutions_by_id(conn, source["resolution_id"])
        resolution = rows[0] if rows else None
    events = _rows(conn, "SELECT position, at, type, actor_username, actor_unit, data FROM audit_events"
                         " WHERE aggregate_id = %s AND type = ANY(%s) ORDER BY position",
                   (str(task_id), ["Task.ProgressReported", "Task.CompletionRequested", "Task.CompletionDecided"]))
    evidence = [{"position": e["position"], "at": e["at"].isoformat(), "unit": e["actor_unit"],
                 "kind": "completion" if e["type"] == "Task.CompletionRequested" else "progress", "file": f}
                for e in events for f in e["data"].get("evidence", [])]
    verification = [{"position": e["position"], "at": e["at"].isoformat(), "by": e["actor_username"],
                     "accepted": e["data"]["accepted"], "comment": e["data"]["comment"]}
                    for e in events if e["type"] == "Task.CompletionDecided"]
    meeting_row = meeting(conn, resolution["meeting_id"]) if resolution else None
    if meeting_row:
        meeting_row.pop("resolutions")
    return {"task_id": str(task_id), "source": source, "resolution": resolution, "meeting": meeting_row,
            "evidence": evidence, "verification": verification}


def resolutions_by_id(conn: psycopg.Connection, resolution_id: str,
                      as_of: datetime | None = None) -> list[dict[str, Any]]:
    rows = _rows(conn, "SELECT meeting_id FROM resolutions WHERE resolution_id = %s", (resolution_id,))
    if not rows:
        return []
    return [r for r in resolutions(conn, meeting_id=str(rows[0]["meeting_id"]), as_of=as_of)
            if r["id"] == resolution_id]


def _meeting_out(m: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(m["meeting_id"]), "kind": m["kind"], "title": m["title"], "date": m["date"].isoformat(),
            "location": m["location"], "chair": m["chair"], "status": m["status"],
            "topics": [str(t) for t in m["topics"]], "attendance": m["attendance"], "minutes": m["minutes"],
            "issued_at": m["issued_at"].isoformat() if m["issued_at"] else None, "corrections": m["corrections"]}
