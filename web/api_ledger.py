"""The ledger's tamper evidence over HTTP: the chain head and its last signed checkpoint."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from domain.errors import NotPermitted
from projections import chain
from web.auth import authenticate
from web.runtime import pool

blp = Blueprint("ledger", __name__, url_prefix="/api/v1/ledger", description="防篡改校验 / tamper evidence")


@blp.before_request
def _authenticate() -> None:
    authenticate()
    if not (g.actor.has("office") or g.actor.has("supervisor")):
        raise NotPermitted("this needs the role office or supervisor")


@blp.route("/head", methods=["GET"])
@blp.response(200)
def head():
    """The hash chain's head over the whole log, and the last checkpoint signed with the office's key."""
    with pool().connection() as conn:
        return chain.published_head(conn)
