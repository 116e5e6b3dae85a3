"""Pages for people (zh-CN): home, login and logout with a session cookie (CSRF-protected forms), the
unit board and the dashboard — now or as of a chosen instant — and the navigation every page shows."""

from __future__ import annotations

from functools import wraps

from datetime import datetime

from flask import (Blueprint, abort, current_app, g, redirect, render_template, render_template_string, request,
                   session, url_for)

from coordination.errors import AuthenticationFailed, PasswordChangeRequired, SecondFactorRequired
from coordination.authorization import require_board_reader
from coordination.authorization import oversees
from domain import values
from domain.charter import GROUP_NAME, UNITS_BY_CODE
from domain.deadlines import SHANGHAI
from domain.errors import AccountDisabled, InvalidValue, NotFound, NotPermitted
from projections import queries
from web.auth import TooManyFailures, checked_login
from web import security
from web.runtime import ledger, views

blp = Blueprint("pages", __name__)

STATUS_NAMES = {"assigned": "待签收", "in_progress": "办理中", "completion_requested": "待审核办结",
                "completed": "已办结", "cancelled": "已撤销"}
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
ROLE_NAMES = {"office": "协调组办公室", "liaison": "成员单位联络员", "supervisor": "督查", "admin": "系统管理员"}
NAVIGATION = [  # (endpoint, label, who sees it)
    ("pages.board", "督办看板", lambda a: not a.has("admin") or len(a.roles) > 1),
    ("office_pages.workbench", "工作台", lambda a: a.has("office")),
    ("pages.dashboard", "全局看板", oversees),
    ("register_pages.register", "督办台账", lambda a: oversees(a) or a.has("liaison")),
    ("meetings_pages.meetings", "会议", oversees),
    ("meetings_pages.resolutions", "议定事项", oversees),
    ("office_pages.topics", "议题", lambda a: a.has("office")),
    ("office_pages.roster", "成员单位", oversees),
    ("supervision_pages.urging_list", "督查催办", oversees),
    ("reports_pages.report", "半年督查报告", oversees),
    ("supervision_pages.audit_log", "审计日志", oversees),
    ("ledger_pages.ledger_page", "台账校验", oversees),
    ("accounts_pages.accounts", "账户管理", lambda a: a.has("admin")),
    ("liaison_pages.my_unit", "本单位", lambda a: a.has("liaison")),
    ("liaison_pages.propose_topic", "提出议题", lambda a: a.has("liaison")),
]


@blp.app_context_processor
def chrome() -> dict:
    """What every page shows: who is signed in (name, unit, role) and the navigation for that role."""
    actor = g.get("actor")
    if actor is None:
        return {"actor": None, "nav": [], "group_name": GROUP_NAME, "shanghai": SHANGHAI}
    present = current_app.view_functions
    nav = [(url_for(endpoint), label) for endpoint, label, shown in NAVIGATION if endpoint in present and shown(actor)]
    return {"actor": actor, "unit_name": UNITS_BY_CODE[actor.unit].short_name, "group_name": GROUP_NAME, "nav": nav,
            "role_names": "、".join(ROLE_NAMES[r] for r in sorted(actor.roles) if r in ROLE_NAMES), "shanghai": SHANGHAI}


def as_of_argument() -> datetime | None:
    """查看历史时刻: ?as_of= from the page's control (a Beijing wall-clock time) or an ISO instant."""
    raw = request.args.get("as_of") or ""
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("as_of", "请填写有效的日期和时间") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=SHANGHAI)
    return values.instant("as_of", instant)

HOME = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ group.name }} · 协调台账</title>
<style>body{font-family:"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:60rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>{{ group.name }}</h1>
<p>召集人:{{ group.convener }};办公室设在{{ office }},办公室主任由{{ group.office_director }}兼任。</p>
<p>台账共记录 {{ position }} 条事件。<a href="{{ url_for('pages.board') }}">进入督办看板</a></p>
<h2>成员单位({{ units|length }} 个)</h2>
<table><tr><th>代码</th><th>单位</th><th>成员</th><th>联络员</th></tr>
{% for u in units %}<tr><td>{{ u.code }}</td><td>{{ u.name }}</td>
<td>{{ u.member.name if u.member else "待报送" }}</td><td>{{ u.liaison.name if u.liaison else "待报送" }}</td></tr>
{% endfor %}</table></body></html>"""


@blp.get("/")
def home():
    """首页: the group and its member units."""
    group = ledger().group()
    units = ledger().units()
    office = next(u.name for u in units if u.code == group.office_unit)
    return render_template_string(HOME, group=group, units=units, office=office, position=ledger().position())


def signed_in(view):
    """Pages need a session; the session names a user who must still be enabled."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        username = session.get("username")
        if not username:
            return redirect(url_for("pages.login", next=request.path))
        if not security.alive():  # 30 idle minutes end a session (web/security.py)
            return redirect(url_for("pages.login", next=request.path, expired=1))
        try:
            user = ledger().user(username)
        except NotFound:
            user = None
        if user is None or user.disabled:
            session.clear()
            return redirect(url_for("pages.login"))
        g.actor = user.as_actor()
        return view(*args, **kwargs)

    return wrapper


@blp.route("/login", methods=["GET", "POST"])
def login():
    """登录: a new session on every login (no fixation); failures throttled like the API's."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            actor = checked_login(username, request.form.get("password", ""), channel="page",
                                  otp=request.form.get("otp", "").strip() or None,
                                  recovery_code=request.form.get("recovery_code", "").strip() or None)
        except SecondFactorRequired as needed:
            if not needed.enrolled:
                security.start_pending(username, "enrol")
                return redirect(url_for("accounts_pages.second_factor"))
            error = "该账号需要两步验证:请输入验证器中的 6 位动态口令,或一个恢复码"
        except PasswordChangeRequired:
            security.start_pending(username, "password")
            return redirect(url_for("accounts_pages.password"))
        except AuthenticationFailed:
            error = "用户名或密码错误"
        except AccountDisabled:
            error = "该账号已停用"
        except TooManyFailures:
            error = "登录失败次数过多,请稍后再试"
        else:
            security.start_session(actor)
            target = request.args.get("next") or ""
            home = landing(actor)
            return redirect(target if target.startswith("/") and not target.startswith("//") else home)
    elif request.args.get("expired"):
        error = "长时间未操作(30 分钟),已自动退出,请重新登录"
    status = 401 if error else 200
    return render_template("login.html", error=error, actor=None, group_name=None), status


def landing(actor) -> str:
    """Where a login lands, by role: office → 工作台, supervisor → 全局看板, liaison → own board, admin → accounts."""
    for role, endpoint in (("office", "office_pages.workbench"), ("supervisor", "pages.dashboard"),
                           ("liaison", "pages.board"), ("admin", "accounts_pages.accounts")):
        if actor.has(role) and endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("pages.board")


@blp.post("/logout")
def logout():
    """退出."""
    session.clear()
    return redirect(url_for("pages.login"))


@blp.get("/board")
@signed_in
def board():
    """督办看板: a liaison's own unit; the office and supervisors may choose any unit (?unit=)."""
    actor = g.actor
    unit = request.args.get("unit") or actor.unit
    if unit not in UNITS_BY_CODE:
        abort(404)
    try:
        require_board_reader(actor, unit)
    except NotPermitted:
        abort(403)
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:  # a person sees a consistent board: every change made so far
        data = queries.board(conn, unit, ledger().clock.now(), as_of=as_of)
    return render_template("board.html", board=data, unit=unit, unit_title=UNITS_BY_CODE[unit].name,
                           units=UNITS_BY_CODE.values() if oversees(actor) else [], as_of=as_of,
                           status_names=STATUS_NAMES, light_names=LIGHT_NAMES)


@blp.get("/dashboard")
@signed_in
def dashboard():
    """工作台 / 全局看板 (office, supervisors): the same figures as GET /api/v1/dashboard."""
    if not oversees(g.actor):
        abort(403)
    as_of = as_of_argument()
    with views(up_to_date=True) as conn:
        data = queries.dashboard(conn, ledger().clock.now(), as_of=as_of)
    return render_template("dashboard.html", dashboard=data, as_of=as_of, unit_names=UNITS_BY_CODE,
                           heading="全局看板",
                           status_names=STATUS_NAMES, light_names=LIGHT_NAMES)
