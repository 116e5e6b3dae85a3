"""Operations (API.md): /livez — this process answers; /healthz — can this process reach the database; /readyz — and are the views current.

Both answer within about two seconds whatever the database does, and carry
{status, database, projections: {view: {position, lag_events, lag_seconds, error?}}}.
"""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
from flask import Blueprint, current_app

from projections.eventlog import EventLog
from web.errors import RETRY_AFTER_SECONDS
from web.runtime import ledger, pool

blp = Blueprint("operations", __name__)
CHECK_TIMEOUT_SECONDS = 1.5
READY_LAG_SECONDS = 30


def probe() -> dict:
    """The database's answer and each view's lag behind the log, or what went wrong reaching them."""
    try:
        with pool().connection(timeout=CHECK_TIMEOUT_SECONDS) as conn:
            conn.execute("SET statement_timeout = 1500")
            head = conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM {_events_table()}").fetchone()[0]
            rows = conn.execute("SELECT name, position, error, error_position FROM projection_tracking"
                                " ORDER BY name").fetchall()
            views = {}
            for name, position, error, error_position in rows:
                lag = 0 if position >= head else conn.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {_events_table()} WHERE notification_id > %s"
                    " LIMIT 100000) AS behind", (position,)).fetchone()[0]
                views[name] = {"position": position, "lag_events": lag, "lag_seconds": _lag_seconds(position, lag)}
                if error:
                    views[name]["error"] = {"position": error_position, "message": error}
            conn.execute("SET statement_timeout = 0")
    except (psycopg.Error, OSError) as exc:
        current_app.logger.warning("health.database_unreachable: %s", type(exc).__name__)
        return {"database": "unavailable", "projections": None}
    return {"database": "ok", "position": head, "projections": views}


def _events_table() -> str:
    return psycopg.sql.Identifier(f"{ledger().name.lower()}_events").as_string()


def _lag_seconds(position: int, lag: int) -> float:
    """How long the oldest event the view has not applied has been waiting (0 when none)."""
    if not lag:
        return 0.0
    waiting = EventLog(ledger()).read(after=position, limit=1)
    if not waiting:
        return 0.0
    recorded = waiting[0].event.timestamp  # the library's real-time stamp of the event
    return round(max((datetime.now(timezone.utc) - recorded).total_seconds(), 0.0), 1)


def _unavailable(state: dict):
    return {"status": "unavailable", **state}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


@blp.get("/livez")
def livez():
    """200 while this process answers at all: no database, no views (the trivial endpoint of `make bench`)."""
    return {"status": "ok"}


@blp.get("/healthz")
def healthz():
    """200 when this process can reach the database; 503 with Retry-After when it cannot."""
    state = probe()
    if state["database"] != "ok":
        return _unavailable(state)
    return {"status": "ok", **state}


@blp.get("/readyz")
def readyz():
    """200 when the database answers and every view is within 30 s of the log and not stopped."""
    state = probe()
    if state["database"] != "ok":
        return _unavailable(state)
    behind = [name for name, view in state["projections"].items()
              if view["lag_seconds"] > READY_LAG_SECONDS or "error" in view]
    if behind:
        return {"status": "not_ready", "behind": behind, **state}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {"status": "ok", **state}
