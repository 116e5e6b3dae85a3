"""Accounts (账户管理, admin), password changes, and the security audit trail (supervisors).

三员分立: the admin manages accounts here and nothing else; supervisors read who signed in, failed,
was locked out, and which tokens were issued and revoked.
"""

from __future__ import annotations

import marshmallow as ma
from flask import g, request
from flask_smorest import Blueprint

from coordination import security_audit
from coordination.authorization import require_role
from domain import values
from web import schemas
from web.auth import idempotency_key, remember_position
from web.runtime import ledger, pool

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="账户与安全审计 / accounts and security audit")

ROLE_NAMES = ["office", "liaison", "supervisor", "admin"]


class Account(ma.Schema):
    username = ma.fields.String()
    display_name = ma.fields.String()
    unit = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    disabled = ma.fields.Boolean()


class AccountChange(ma.Schema):
    display_name = schemas.Text(values.NAME)
    unit = schemas.Unit()
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLE_NAMES)),
                           validate=ma.validate.Length(min=1, max=4))
    disabled = ma.fields.Boolean()
    reason = schemas.Text(values.TEXT, required=True)


class PasswordChange(ma.Schema):
    """An admin's reset {password, reason}, or the user's own change {current_password, password}."""

    password = ma.fields.String(required=True, load_only=True, validate=schemas.TextRule(256))
    current_password = ma.fields.String(load_only=True, validate=schemas.TextRule(256))
    reason = schemas.Text(values.TEXT)


class SecurityQuery(ma.Schema):
    after = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**62))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=security_audit.MAX_PAGE))
    username = ma.fields.String(load_default=None, validate=schemas.TextRule(40))
    kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(security_audit.KINDS))


class SecurityEvent(ma.Schema):
    position = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    kind = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict()


class SecurityPage(ma.Schema):
    events = ma.fields.List(ma.fields.Nested(SecurityEvent))
    next_after = ma.fields.Integer()


@blp.route("/users", methods=["GET"])
@blp.response(200, Account(many=True))
def list_users():
    """账户列表 (admin)."""
    return ledger().users(g.actor)


@blp.route("/users", methods=["POST"])
@blp.arguments(schemas.NewUser)
@blp.response(201)
def add_user(body):
    """开户 (admin): roles within 三员分立 — admin never with office, supervisor or liaison (422)."""
    outcome = ledger().register_user(g.actor, idempotency_key=idempotency_key(), **body)
    remember_position(outcome.position)
    return outcome.result


@blp.route("/users/<username>", methods=["PATCH"])
@blp.arguments(AccountChange)
@blp.response(200, Account)
def change_user(body, username):
    """调整账户 (admin): name, unit, roles, disabled — each an audited event with its reason."""
    outcome = ledger().update_user(g.actor, username, **body)
    remember_position(outcome.position)
    return outcome.result


@blp.route("/users/<username>/password", methods=["POST"])
@blp.arguments(PasswordChange)
@blp.response(204)
def change_password(body, username):
    """修改密码 (own, with current_password) or 重置密码 (admin, with reason; changed at the next login)."""
    outcome = ledger().change_password(g.actor, username, **body)
    remember_position(outcome.position)
    with pool().connection() as conn:
        security_audit.record(conn, at=ledger().clock.now(), kind="password_changed", username=username,
                              address=request.remote_addr, by=g.actor.username)


@blp.route("/security-events", methods=["GET"])
@blp.arguments(SecurityQuery, location="query")
@blp.response(200, SecurityPage)
def security_events(query):
    """安全审计 (supervisors): logins, failures, lockouts, tokens; oldest first, follow next_after."""
    require_role(g.actor, "supervisor")
    with pool().connection() as conn:
        return security_audit.page(conn, **query)
