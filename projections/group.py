"""The group's own registers, read from the audit index: the topics (征集议题) and the member units' people
(成员单位的成员与联络员) — now, or as of any past instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.charter import UNIT_CODES
from domain.roster import MemberUnit
from domain.topics import ACCEPTED, CONCLUDED, DECLINED, ON_AGENDA, PROPOSED


TOPIC_STATUS_AFTER = {"Topic.Proposed": PROPOSED, "Topic.Accepted": ACCEPTED, "Topic.Declined": DECLINED,
                      "Topic.PlacedOnAgenda": ON_AGENDA, "Topic.Concluded": CONCLUDED}


def topics(conn: psycopg.Connection, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """议题 (征集议题): every topic with its status, decline reason and meeting, now or as of an instant; newest first."""
    found: dict[str, dict[str, Any]] = {}
    for e in _audit_rows(conn, "aggregate_type = 'Topic'", (), as_of):
        key = str(e["aggregate_id"])
        if e["type"] == "Topic.Proposed":
            found[key] = {"id": key, "title": e["data"]["title"], "background": e["data"].get("background", ""),
                          "proposed_by": e["data"]["proposed_by"], "proposed_at": e["at"], "status": PROPOSED,
                          "reason": None, "meeting_id": None}
        elif key in found and e["type"] in TOPIC_STATUS_AFTER:
            found[key]["status"] = TOPIC_STATUS_AFTER[e["type"]]
            found[key]["reason"] = e["data"].get("reason", found[key]["reason"])
            found[key]["meeting_id"] = e["data"].get("meeting_id", found[key]["meeting_id"])
    return sorted(found.values(), key=lambda t: t["proposed_at"], reverse=True)


def roster(conn: psycopg.Connection, as_of: datetime | None = None) -> dict[str, dict[str, Any]]:
    """成员单位 (第四条): each unit's member and liaison, now or as of an instant, and every change with its reason."""
    codes = {str(MemberUnit.create_id(code)): code for code in UNIT_CODES}
    units = {code: {"member": None, "liaison": None, "changes": []} for code in UNIT_CODES}
    for e in _audit_rows(conn, "type IN ('MemberUnit.MemberChanged', 'MemberUnit.LiaisonChanged')", (), as_of):
        unit = units[codes[str(e["aggregate_id"])]]
        which = "member" if e["type"] == "MemberUnit.MemberChanged" else "liaison"
        unit["changes"].append({"at": e["at"], "which": which, "before": unit[which], "person": e["data"]["person"],
                                "reason": e["data"]["reason"], "by": e["actor_username"]})
        unit[which] = e["data"]["person"]
    return units


def _audit_rows(conn: psycopg.Connection, where: str, args: tuple[Any, ...],
                as_of: datetime | None) -> list[dict[str, Any]]:
    """Events of the audit index matching `where`, oldest first (up to `as_of`, if given)."""
    if as_of is not None:
        where, args = f"({where}) AND at <= %s", (*args, as_of)
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT position, at, type, aggregate_id, actor_username, data FROM audit_events"
                           f" WHERE {where} ORDER BY position", args).fetchall()
