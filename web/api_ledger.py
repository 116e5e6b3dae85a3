"""The ledger's tamper evidence over HTTP: the chain head and its last signed checkpoint."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from coordination.authorization import require_role
from projections import chain
from web.runtime import pool

blp = Blueprint("ledger", __name__, url_prefix="/api/v1/ledger", description="防篡改校验 / tamper evidence")


@blp.before_request
def _office_or_supervisor() -> None:
    require_role(g.actor, "office", "supervisor")  # signed in already (web/guards.py)


@blp.route("/head", methods=["GET"])
@blp.response(200)
def head():
    """The hash chain's head over the whole log, and the last checkpoint signed with the office's key."""
    with pool().connection() as conn:
        return chain.published_head(conn)
