"""Errors as people see them on the pages: a Chinese page with the reason, never English JSON.

The API keeps the contract's JSON body (web/errors.py); any path outside /api/ and the operations
endpoints gets this page instead, with the same status code.
"""

from __future__ import annotations

from flask import render_template, request

TITLES = {
    400: ("请求无效", "提交的内容无法识别,请返回上一页重新填写。"),
    401: ("需要登录", "请先登录。"),
    403: ("无权访问", "您的账号没有查看或办理此项内容的权限。成员单位联络员只能查看本单位的事项。"),
    404: ("页面不存在", "您要找的页面或事项不存在,可能链接有误。"),
    405: ("不支持该操作", "此页面不支持这种操作。"),
    409: ("当前状态不允许该操作", "该事项的当前状态不允许这项操作,请刷新后查看最新状态。"),
    413: ("内容过大", "提交的内容超过了大小限制。"),
    422: ("填写有误", "提交的内容有误,请检查后重新填写。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: ("系统内部错误", "系统出现了意外错误,已记录。若刚才是在办理事项,请先刷新确认是否已经办理成功,再决定是否重试。"),
    503: ("服务暂不可用", "数据库暂时无法访问,请稍后再试。若刚才是在办理事项,请刷新确认是否已经办理成功。"),
}


def wants_page() -> bool:
    """True for a person's page request (not the API, not the operations endpoints)."""
    path = request.path
    return not (path.startswith("/api/") or path in ("/healthz", "/readyz"))


def page(status: int, reason: str | None = None, headers: dict | None = None):
    title, explanation = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    return render_template("error.html", title=title, explanation=explanation, reason=reason), status, headers or {}
