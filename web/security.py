"""Page sessions' security: idle expiry (30 minutes, server-side), the restricted sessions of a login
that must first enrol a second factor or change a reset password, and the last login's time and address
shown after each login (鉴别警示)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import request, session

from coordination import security_audit
from domain.actors import Actor
from web.runtime import ledger, pool

IDLE_LIMIT = timedelta(minutes=30)
PENDING_STEPS = ("enrol", "password")


def start_session(actor: Actor) -> None:
    """A new session (no fixation) for a full login, remembering the previous login to show it."""
    session.clear()
    session["username"] = actor.username
    session["seen"] = ledger().clock.now().isoformat()
    session.permanent = True
    with pool().connection() as conn:
        newest = security_audit.last_login(conn, actor.username)  # this very login, recorded by checked_login
        previous = security_audit.last_login(conn, actor.username, before=newest["position"]) if newest else None
    session["previous_login"] = ({"at": previous["at"].isoformat(), "address": previous["address"]}
                                 if previous else {"at": None, "address": None})


def start_pending(username: str, step: str) -> None:
    """A session that may only enrol a second factor or change the password, then log in again."""
    assert step in PENDING_STEPS
    session.clear()
    session["pending"] = {"username": username, "step": step}
    session["seen"] = ledger().clock.now().isoformat()


def alive() -> bool:
    """True and the activity noted, unless the session has been idle for 30 minutes (then it ends)."""
    now = ledger().clock.now()
    seen = session.get("seen")
    try:
        idle = now - datetime.fromisoformat(seen) if seen else IDLE_LIMIT * 2
    except (TypeError, ValueError):
        idle = IDLE_LIMIT * 2
    if idle > IDLE_LIMIT:
        username = session.get("username") or (session.get("pending") or {}).get("username")
        if username:
            with pool().connection() as conn:
                security_audit.record(conn, at=now, kind="session_expired", username=username,
                                      address=request.remote_addr, idle_minutes=int(idle.total_seconds() // 60))
        session.clear()
        return False
    session["seen"] = now.isoformat()
    return True


def previous_login() -> dict[str, Any] | None:
    return session.get("previous_login")
