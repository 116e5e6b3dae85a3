"""The security audit trail (安全审计): logins, failures, lockouts, second factors, tokens.

An append-only table (`security_events`, migration 0012) rather than events in the ledger's log: these
are facts about access, not decisions of the group, and there are many (every failed guess). Keeping them
out of the log keeps the decision history, its hash chain and its views free of noise, while the
table's trigger refuses UPDATE, DELETE and TRUNCATE, so no one edits it through the service's own
database role. Supervisors read it (GET /api/v1/security-events), paged by `after` like the audit log.
Nothing secret is ever written here: no password, code, token or hash.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

KINDS = ("login_succeeded", "login_failed", "second_factor_failed", "locked_out", "token_created", "token_revoked",
         "second_factor_enrolled", "password_changed", "session_expired")
MAX_PAGE = 1000


def record(conn: psycopg.Connection, *, at: datetime, kind: str, username: str | None, address: str | None,
           **detail: Any) -> None:
    assert kind in KINDS, kind
    conn.execute("INSERT INTO security_events (at, kind, username, address, detail) VALUES (%s, %s, %s, %s, %s)",
                 (at, kind, username, address, json.dumps(detail, ensure_ascii=False, default=str)))


def page(conn: psycopg.Connection, *, after: int = 0, limit: int = 100, username: str | None = None,
         kind: str | None = None) -> dict[str, Any]:
    """Oldest first after `after`; `next_after` continues (paging yields every row exactly once)."""
    limit = max(1, min(limit, MAX_PAGE))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT position, at, kind, username, address, detail FROM security_events WHERE position > %s"
            " AND (%s::text IS NULL OR username = %s) AND (%s::text IS NULL OR kind = %s)"
            " ORDER BY position LIMIT %s", (after, username, username, kind, kind, limit)).fetchall()
    return {"events": rows, "next_after": rows[-1]["position"] if rows else after}


def last_login(conn: psycopg.Connection, username: str, *, before: int | None = None) -> dict[str, Any] | None:
    """The newest successful login of `username` before position `before` (鉴别警示: shown after login)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT position, at, address FROM security_events WHERE username = %s AND kind = 'login_succeeded'"
            " AND position < %s ORDER BY position DESC LIMIT 1", (username, before or 2**62)).fetchone()
