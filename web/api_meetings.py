"""Users, roster changes, topics, meetings with their minutes, and resolutions."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from domain.errors import NotFound
from projections import registers
from web import schemas
from web.auth import idempotency_key, remember_position
from web.runtime import ledger, views

blp = Blueprint("meetings", __name__, url_prefix="/api/v1", description="成员、议题、会议与议定事项")



def _done(outcome) -> dict:
    remember_position(outcome.position)
    return outcome.result


@blp.route("/units/<code>/member", methods=["PUT"])
@blp.arguments(schemas.Person)
@blp.response(200)
def change_member(body, code):
    """调整成员 (office; or the unit's own liaison, 第四条)."""
    return _done(ledger().change_member(g.actor, code, idempotency_key=idempotency_key(), **body))


@blp.route("/units/<code>/liaison", methods=["PUT"])
@blp.arguments(schemas.Person)
@blp.response(200)
def change_liaison(body, code):
    """调整联络员 (office; or the unit's own liaison, 第四条)."""
    return _done(ledger().change_liaison(g.actor, code, idempotency_key=idempotency_key(), **body))


@blp.route("/topics", methods=["POST"])
@blp.arguments(schemas.ProposeTopic)
@blp.response(201)
def propose_topic(body):
    """征集议题 (office, liaison)."""
    return _done(ledger().propose_topic(g.actor, idempotency_key=idempotency_key(), **body))


@blp.route("/topics/<topic_id>/acceptance", methods=["POST"])
@blp.response(200)
def accept_topic(topic_id):
    """采纳议题 (office)."""
    return _done(ledger().accept_topic(g.actor, topic_id, idempotency_key=idempotency_key()))


@blp.route("/topics/<topic_id>/decline", methods=["POST"])
@blp.arguments(schemas.DeclineTopic)
@blp.response(200)
def decline_topic(body, topic_id):
    """不予采纳 (office)."""
    return _done(ledger().decline_topic(g.actor, topic_id, idempotency_key=idempotency_key(), **body))


@blp.route("/meetings", methods=["POST"])
@blp.arguments(schemas.ScheduleMeeting)
@blp.response(201)
def schedule_meeting(body):
    """安排会议 (office)."""
    return _done(ledger().schedule_meeting(g.actor, idempotency_key=idempotency_key(), **body))


@blp.route("/meetings", methods=["GET"])
@blp.arguments(schemas.AsOf, location="query")
@blp.response(200)
def list_meetings(query):
    """会议台账, now or as of an instant."""
    with views() as conn:
        return registers.meetings(conn, as_of=query["as_of"])


@blp.route("/meetings/<meeting_id>", methods=["GET"])
@blp.arguments(schemas.AsOf, location="query")
@blp.response(200)
def get_meeting(query, meeting_id):
    """One meeting with minutes, corrections and resolutions (each with its tasks), now or as of an instant."""
    ledger().meeting(meeting_id)  # 404 for an unknown id
    with views(up_to_date=True) as conn:
        found = registers.meeting(conn, meeting_id, as_of=query["as_of"])
    if found is None:
        raise NotFound(f"meeting {meeting_id} did not exist at {query['as_of']}")
    return found


@blp.route("/meetings/<meeting_id>/attendance", methods=["POST"])
@blp.arguments(schemas.Attendance)
@blp.response(200)
def record_attendance(body, meeting_id):
    """记录出席 (office)."""
    return _done(ledger().record_attendance(g.actor, meeting_id, idempotency_key=idempotency_key(), **body))


@blp.route("/meetings/<meeting_id>/minutes", methods=["PUT"])
@blp.arguments(schemas.Minutes)
@blp.response(200)
def draft_minutes(body, meeting_id):
    """起草会议纪要 (office; repeatable until issued, then 409)."""
    return _done(ledger().draft_minutes(g.actor, meeting_id, idempotency_key=idempotency_key(), **body))


@blp.route("/meetings/<meeting_id>/minutes/issue", methods=["POST"])
@blp.response(200)
def issue_minutes(meeting_id):
    """印发会议纪要 (office): agreed items become resolutions."""
    return _done(ledger().issue_minutes(g.actor, meeting_id, idempotency_key=idempotency_key()))


@blp.route("/meetings/<meeting_id>/minutes/corrections", methods=["POST"])
@blp.arguments(schemas.Correction)
@blp.response(201)
def correct_minutes(body, meeting_id):
    """勘误 (office)."""
    return _done(ledger().correct_minutes(g.actor, meeting_id, idempotency_key=idempotency_key(), **body))


@blp.route("/resolutions", methods=["GET"])
@blp.arguments(schemas.ResolutionFilter, location="query")
@blp.response(200)
def list_resolutions(query):
    """议定事项台账, each with its tasks."""
    with views() as conn:
        return registers.resolutions(conn, meeting_id=str(query["meeting"]) if query["meeting"] else None,
                                     category=query["category"], as_of=query["as_of"])


@blp.route("/resolutions/<resolution_id>", methods=["GET"])
@blp.arguments(schemas.AsOf, location="query")
@blp.response(200)
def get_resolution(query, resolution_id):
    """One resolution with its tasks, now or as of an instant."""
    resolution = ledger().resolution(resolution_id)  # 404 for an unknown id
    with views(up_to_date=True) as conn:
        found = registers.resolutions_by_id(conn, str(resolution.id), as_of=query["as_of"])
    if not found:
        raise NotFound(f"resolution {resolution_id} did not exist at {query['as_of']}")
    return found[0]



