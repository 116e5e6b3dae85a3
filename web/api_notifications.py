"""Notifications (消息提醒): a unit's inbox, read marks, delivery settings and the outbox for the office."""

from __future__ import annotations

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint
from marshmallow import validate

from coordination.authorization import require_role
from coordination.delivery import MAX_EMAILS, deliveries, redacted, save_settings, settings_of
from domain.actors import Actor
from domain.errors import NotFound
from projections.notifications import OFFICE_INBOX, inbox, mark_read
from web.auth import idempotency_key, remember_position
from web.runtime import ledger, pool, views

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="消息提醒 / notifications")


class InboxFilter(ma.Schema):
    unread = ma.fields.Boolean(load_default=None)


class DeliveryFilter(ma.Schema):
    failed = ma.fields.Boolean(load_default=None)


class NotificationSettings(ma.Schema):
    """Where a unit's notifications go: a DingTalk/浙政钉-style robot (signed with its secret) and e-mail."""

    webhook_url = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    webhook_secret = ma.fields.String(load_default=None, allow_none=True, load_only=True,
                                      validate=validate.Length(min=1, max=200))
    emails = ma.fields.List(ma.fields.String(validate=validate.Length(max=254)), load_default=list,
                            validate=validate.Length(max=MAX_EMAILS))


def inboxes(actor: Actor) -> list[str]:
    """A liaison reads its unit's inbox; the office reads the office's (pending decisions)."""
    found = [actor.unit] if actor.has("liaison") else []
    return found + ([OFFICE_INBOX] if actor.has("office") else [])



@blp.route("/notifications", methods=["GET"])
@blp.arguments(InboxFilter, location="query")
@blp.response(200)
def notifications(query):
    """Own inbox, newest first (unread=true: only the unread)."""
    with views() as conn:
        return inbox(conn, inboxes(g.actor), unread=query["unread"])


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@blp.response(200)
def read(notification_id):
    """Mark one of the own inbox's notifications read."""
    try:
        import uuid

        uuid.UUID(notification_id)
    except ValueError:
        raise NotFound(f"no notification {notification_id}") from None
    with views() as conn:
        if not mark_read(conn, notification_id, inboxes(g.actor), g.actor.username, ledger().clock.now()):
            raise NotFound(f"no notification {notification_id} in your inbox")
    return {"id": notification_id, "read": True}


@blp.route("/notifications/deliveries", methods=["GET"])
@blp.arguments(DeliveryFilter, location="query")
@blp.response(200)
def outbox(query):
    """Deliveries to robots and e-mail (office); failed=true: those that stopped retrying."""
    require_role(g.actor, "office")
    with views() as conn:
        return deliveries(conn, failed=query["failed"])


@blp.route("/units/<code>/notification-settings", methods=["PUT"])
@blp.arguments(NotificationSettings)
@blp.response(200)
def change_settings(body, code):
    """Set where the unit's notifications go (office, or that unit's liaison); the log records only that they changed."""
    outcome, settings = ledger().change_notification_settings(g.actor, code, idempotency_key=idempotency_key(), **body)
    with pool().connection() as conn:
        save_settings(conn, code, settings, g.actor.username, ledger().clock.now())
        stored = settings_of(conn, code)
    remember_position(outcome.position)
    return {"unit": code, "webhook_url": redacted(stored["webhook_url"]) if stored["webhook_url"] else None,
            "webhook_secret_set": stored["webhook_secret"] is not None, "emails": list(stored["emails"])}
