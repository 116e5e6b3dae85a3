"""Account pages (zh-CN): 修改密码 and 两步验证 for every user; 账户管理 for the admin (三员分立)."""

from __future__ import annotations

import io
from functools import wraps

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from coordination import security_audit
from domain.actors import ROLES
from domain.charter import UNITS
from domain.errors import DomainError, InvalidValue, NotFound
from web import security
from web.pages import signed_in
from web.runtime import ledger, pool

blp = Blueprint("accounts_pages", __name__)


def own_account(step: str):
    """A signed-in user, or a login that must first do `step` (enrol a second factor, change the password)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            pending = session.get("pending")
            if pending and pending.get("step") == step:
                if not security.alive():
                    return redirect(url_for("pages.login", expired=1))
                g.actor, g.pending = ledger().user(pending["username"]).as_actor(), True
                return view(*args, **kwargs)
            g.pending = False
            return signed_in(view)(*args, **kwargs)

        return wrapper

    return decorate


def admin_only(view):
    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.actor.has("admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _page(template: str, status: int = 200, **context):
    hidden = {"actor": None} if g.get("pending") else {}  # a restricted session shows no navigation
    return render_template(f"accounts/{template}", all_roles=ROLES, units=UNITS, **hidden, **context), status


def _reason(error: DomainError) -> str:
    return "; ".join(m for ms in getattr(error, "errors", {}).values() for m in ms) or error.message


def _audit(kind: str, username: str, **detail) -> None:
    with pool().connection() as conn:
        security_audit.record(conn, at=ledger().clock.now(), kind=kind, username=username,
                              address=request.remote_addr, **detail)


@blp.route("/account/password", methods=["GET", "POST"])
@own_account("password")
def password():
    """修改密码: the current password and a new one that follows the rule."""
    error = None
    if request.method == "POST":
        try:
            ledger().change_password(g.actor, g.actor.username, password=request.form.get("password", ""),
                                     current_password=request.form.get("current_password", ""))
        except DomainError as refused:
            error = _reason(refused)
        else:
            _audit("password_changed", g.actor.username, by=g.actor.username)
            if g.pending:
                session.clear()
                return redirect(url_for("pages.login"))
            return _page("done.html", message="密码已修改。")
    return _page("password.html", 422 if error else 200, error=error)


@blp.route("/account/2fa", methods=["GET", "POST"])
@own_account("enrol")
def second_factor():
    """两步验证: scan the QR code with an authenticator app, confirm with a code, keep the recovery codes."""
    error = None
    if request.method == "POST":
        try:
            codes = ledger().confirm_second_factor(g.actor, request.form.get("otp", "").strip())
        except InvalidValue as refused:
            error = _reason(refused)
        else:
            _audit("second_factor_enrolled", g.actor.username)
            if g.pending:
                session.clear()
            return _page("recovery_codes.html", codes=codes, pending=g.pending)
    secret, uri = ledger().begin_second_factor(g.actor)
    svg = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(svg)
    qr = svg.getvalue().decode("utf-8").split("?>", 1)[-1]  # inline: no XML declaration inside HTML
    return _page("second_factor.html", 422 if error else 200, error=error, qr=qr, secret=secret)


@blp.route("/admin/users", methods=["GET", "POST"])
@admin_only
def accounts():
    """账户管理: every account; a form to open a new one."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            ledger().register_user(g.actor, username=form.get("username", "").strip(), password=form.get("password", ""),
                                   unit=form.get("unit", ""), roles=form.getlist("roles"),
                                   display_name=form.get("display_name", "").strip())
        except DomainError as refused:
            error = _reason(refused)
        else:
            return redirect(url_for("accounts_pages.accounts"))
    return _page("accounts.html", 422 if error else 200, accounts=ledger().users(g.actor), error=error,
                 form=request.form)


@blp.route("/admin/users/<username>", methods=["GET", "POST"])
@admin_only
def account(username: str):
    """调整账户: name, unit, roles within 三员分立, disabled — with a reason; or 重置密码."""
    try:
        user = ledger().user(username)
    except NotFound:
        abort(404)
    error = done = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "reset":
                ledger().change_password(g.actor, username, password=form.get("password", ""),
                                         reason=form.get("reason", ""))
                _audit("password_changed", username, by=g.actor.username)
                done = "密码已重置;该账号下次登录时须修改密码。"
            else:
                ledger().update_user(g.actor, username, reason=form.get("reason", ""),
                                     display_name=form.get("display_name", "").strip() or None,
                                     unit=form.get("unit") or None, roles=form.getlist("roles"),
                                     disabled=form.get("disabled") == "1")
                done = "账户已更新。"
        except DomainError as refused:
            error = _reason(refused)
        user = ledger().user(username)
    return _page("account.html", 422 if error else 200, user=user, error=error, done=done)
