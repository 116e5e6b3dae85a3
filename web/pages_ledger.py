"""The supervisor's ledger page (zh-CN): the chain head, the last signed checkpoint, and 立即校验."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, session, url_for

from coordination.signing import trusted_keys
from domain.charter import UNITS_BY_CODE
from ledger_proof.verify_bundle import Divergence
from projections import chain
from web.pages import signed_in
from web.runtime import ledger, pool

blp = Blueprint("ledger_pages", __name__)


def _office_or_supervisor() -> None:
    if not (g.actor.has("office") or g.actor.has("supervisor")):
        abort(403)


@blp.get("/ledger")
@signed_in
def ledger_page():
    """台账校验: the head, the last checkpoint, and the result of the last 立即校验 in this session."""
    _office_or_supervisor()
    with pool().connection() as conn:
        published = chain.published_head(conn)
    return render_template("ledger.html", head=published, verdict=session.pop("ledger_verdict", None),
                           actor=g.actor, unit_name=UNITS_BY_CODE[g.actor.unit].short_name,
                           group_name=ledger().group().name)


@blp.post("/ledger/verify")
@signed_in
def verify_now():
    """立即校验: recompute the chain from the stored events and check every signed checkpoint."""
    _office_or_supervisor()
    with pool().connection() as conn:
        try:
            settings = current_app.extensions["settings"]
            verified = chain.verify(conn, trusted_keys(settings), algorithm=settings.ledger_hash)
        except Divergence as exc:
            verdict = {"ok": False, "position": exc.position, "message": exc.message}
        else:
            verdict = {"ok": True, "events": verified.events, "head": verified.head_hash,
                       "checkpoints": verified.checkpoints}
    session["ledger_verdict"] = verdict
    return redirect(url_for("ledger_pages.ledger_page"))
