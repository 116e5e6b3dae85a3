"""Pages for people (zh-CN) and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template_string

blp = Blueprint("pages", __name__)

HOME = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ group.name }} · 协调台账</title>
<style>body{font-family:"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:60rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>{{ group.name }}</h1>
<p>召集人:{{ group.convener }};办公室设在{{ office }},办公室主任由{{ group.office_director }}兼任。</p>
<p>台账共记录 {{ position }} 条事件。</p>
<h2>成员单位({{ units|length }} 个)</h2>
<table><tr><th>代码</th><th>单位</th><th>成员</th><th>联络员</th></tr>
{% for u in units %}<tr><td>{{ u.code }}</td><td>{{ u.name }}</td>
<td>{{ u.member.name if u.member else "待报送" }}</td><td>{{ u.liaison.name if u.liaison else "待报送" }}</td></tr>
{% endfor %}</table></body></html>"""


@blp.get("/")
def home():
    """首页: the group and its member units."""
    ledger = current_app.extensions["ledger"]
    group = ledger.group()
    units = ledger.units()
    office = next(u.name for u in units if u.code == group.office_unit)
    return render_template_string(HOME, group=group, units=units, office=office, position=ledger.position())


@blp.get("/healthz")
def healthz():
    """200 when this process can reach the database."""
    try:
        current_app.extensions["ledger"].position()
    except Exception as exc:  # any failure to reach the store is "not healthy", never a 500 page
        current_app.logger.warning("healthz.failed: %s", type(exc).__name__)
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
