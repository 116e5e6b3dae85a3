"""What every page form shares (one home for it): the per-render Idempotency-Key, reading a form through the
API's own schema, and refusals in Chinese beside the field.

A page that records something:

    @blp.route("/tasks/<task_id>/progress", methods=["POST"])
    @signed_in
    def report_progress(task_id):
        try:
            body = forms.read(schemas.ReportProgress())
            forms.run(ledger().report_progress, g.actor, task_id, **body)
        except forms.FormInvalid as invalid:
            return render_template(..., errors=invalid.errors, form=request.form), 422
        return redirect(...)

- CSRF: flask-wtf's CSRFProtect guards every POST of the pages (web/__init__.py); templates put
  `{{ form_head() }}` (the macro in _forms.html) first in each form, which writes the CSRF token and a
  fresh form key.
- Exactly once: the form key is made when the form is drawn and sent as the command's Idempotency-Key, so a
  double click or a resubmitted form records once (the runner answers the repeat with the first outcome).
- One rule: the API's marshmallow schema checks the form; the ledger decides what is allowed. Messages in
  English from either are put into Chinese here, once.
- Refusals: InvalidValue → FormInvalid (422 beside the field, the user's input kept); a forbidden state change
  (409), a missing permission (403) or object (404) goes to web/errors.py, whose page shows `chinese(message)`.
"""

from __future__ import annotations

import re
from typing import Any, Callable
from uuid import uuid4

import marshmallow as ma
from flask import request

from domain import values
from domain.errors import DomainError, InvalidValue

FORM_KEY = "form_key"


class FormInvalid(Exception):
    """A form refused field by field: {field: [Chinese message]}; "_form" holds what belongs to no field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def new_form_key() -> str:
    """A fresh key for one drawing of one form (a template global)."""
    return f"page:{uuid4().hex}"


def submitted_key() -> str | None:
    """The key the form was drawn with, checked like any text."""
    key = request.form.get(FORM_KEY) or None
    if key is not None:
        values.text(FORM_KEY, key, max_length=values.KEY)
    return key


def fields_of(schema: ma.Schema, form=None, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A form's values shaped for `schema`: lists from repeated fields, whole numbers and yes/no from text; an
    empty optional field is left out so the schema's default applies. Nested fields are the page's own job."""
    form = request.form if form is None else form
    data: dict[str, Any] = {}
    for name, field in schema.fields.items():
        if name in skip or isinstance(field, ma.fields.Nested):
            continue
        if isinstance(field, ma.fields.List):
            if not isinstance(field.inner, ma.fields.Nested):
                data[name] = [v for v in form.getlist(name) if v.strip()]
            continue
        raw = form.get(name)
        if raw is None or (raw.strip() == "" and not field.required):
            continue
        if isinstance(field, ma.fields.Integer):
            data[name] = int(raw) if re.fullmatch(r"\s*-?\d{1,9}\s*", raw) else raw
        elif isinstance(field, ma.fields.Boolean):
            data[name] = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(raw, raw)
        else:
            data[name] = raw
    return data


def load(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Check a form with the API's schema; refusals come back in Chinese, field by field."""
    try:
        return schema.load(data)
    except ma.ValidationError as invalid:
        raise FormInvalid(flatten(invalid.messages)) from None


def read(schema: ma.Schema, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The submitted form, read and checked through `schema` (fields_of, then load)."""
    return load(schema, fields_of(schema, skip=skip))


def run(command: Callable[..., Any], *args, **kwargs) -> Any:
    """Run a ledger command with the form's key; a value the ledger refuses comes back beside its field."""
    try:
        return command(*args, idempotency_key=submitted_key(), **kwargs)
    except InvalidValue as refused:
        raise FormInvalid({field: [chinese(m) for m in ms] for field, ms in refused.errors.items()}) from None


def submit(schema: ma.Schema, command: Callable[..., Any], *args, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Read the submitted form through `schema` and run `command(*args, **form)`: what was refused, by field,
    or {} when the command was done (the page then redirects)."""
    try:
        run(command, *args, **read(schema, skip=skip))
    except FormInvalid as invalid:
        return invalid.errors
    return {}


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"field.0.sub": [Chinese]}; "_schema" becomes "_form"."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, inner in messages.items():
            name = "_form" if key == "_schema" else f"{prefix}{key}"
            for field, ms in flatten(inner, f"{name}.").items():
                out.setdefault(field, []).extend(ms)
            if isinstance(inner, (str, list)) and not any(isinstance(i, (dict, list)) for i in inner or []):
                out[name] = [chinese(str(m)) for m in ([inner] if isinstance(inner, str) else inner)]
    elif isinstance(messages, list):
        return {prefix.rstrip(".") or "_form": [chinese(str(m)) for m in messages]}
    return out


# English messages of marshmallow and the domain, in Chinese; the first pattern that matches wins.
_CHINESE: list[tuple[str, str]] = [
    (r"Missing data for required field\.", "此项必填"),
    (r"Field may not be null\.", "此项必填"),
    (r"must not be empty", "此项不能为空"),
    (r"Not a valid integer\.", "请填写整数"),
    (r"Not a valid date\.", "请填写有效日期(年-月-日)"),
    (r"Not a valid (datetime|date ?time)\.", "请填写有效的日期和时间"),
    (r"Not a valid boolean\.", "请选择是或否"),
    (r"Not a valid UUID\.", "编号格式不正确"),
    (r"Not a valid list\.", "格式不正确"),
    (r"Unknown field\.", "无法识别的字段"),
    (r"Length must be between (\d+) and (\d+)\.", r"须有 \1 到 \2 项"),
    (r"Shorter than minimum length (\d+)\.", r"至少 \1 项"),
    (r"at least one unit must be present", "至少须有一个单位出席"),
    (r"the minutes need at least one item", "纪要至少须有一项议定事项"),
    (r"a unit is named twice.*", "同一单位不能重复列出"),
    (r"a topic is named twice", "同一议题不能重复列入"),
    (r"must not be in the past", "不能早于今天"),
    (r"the lead unit cannot also be a co-unit", "牵头单位不能同时是配合单位"),
    (r"must lie between today and the deadline", "须在今天和办结期限之间"),
    (r"milestones must come in order of date with rising target percent", "阶段目标须按日期先后排列,目标进度逐项提高"),
    (r"an item with recorded dissent cannot be agreed.*", "有不同意见的事项不能记为议定,请记为暂缓(集体讨论、协商一致)"),
    (r"a task from a resolution takes its category.*", "来自议定事项的任务沿用其类别"),
    (r"required unless the source is a resolution", "来源不是议定事项时须选择类别"),
    (r"no such resolution|must be the id of a resolution|not a resolution id", "没有这个议定事项"),
    (r"no such topic", "没有这个议题"),
    (r"Must be one of: .*", "请从给出的选项中选择"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.", r"请填写 \1 到 \2 之间的数"),
    (r"Longer than maximum length (\d+)\.", r"最多 \1 项"),
    (r"must be at most (\d+) characters", r"最多 \1 个字"),
    (r"must have at most (\d+) entries", r"最多 \1 项"),
    (r"must be a whole number from 0 to 100", "请填写 0 到 100 的整数"),
    (r"must be no later than (\S+)", r"不能晚于 \1"),
    (r"must be no earlier than (\S+)", r"不能早于 \1"),
    (r"must lie in the years (\S+)", r"须在 \1 年之间"),
    (r"must be 64 hexadecimal characters", "文件校验值格式不正确"),
    (r"names no uploaded file.*", "没有找到这个文件,请先上传"),
    (r"must be after the current deadline (\S+)", r"须晚于当前期限 \1"),
    (r"the reassignment changes nothing", "调整后的分工与原分工相同"),
    (r"unknown unit code.*", "没有这个成员单位"),
    (r"unknown category.*", "请从给出的类别中选择"),
    (r"give either deadline or deadline_in_working_days", "请填写办结期限,或填写工作日天数(二者选一)"),
    (r".*control character.*|.*surrogate.*|.*NUL.*", "含有无法保存的字符,请删除后重试"),
    (r"this action needs the role .*", "您的角色不能办理此项操作"),
    (r"a liaison of \S+ cannot act for \S+", "联络员只能办理本单位的事项"),
    (r"a liaison reads only its own unit's board", "联络员只能查看本单位看板"),
    (r"a liaison sees only its own unit's tasks", "联络员只能查看本单位的事项"),
    (r"this task is not assigned to your unit", "该事项未交办给本单位"),
]
_COMPILED = [(re.compile(pattern, re.S), chinese) for pattern, chinese in _CHINESE]

# Refusals named by code (domain/errors.py): the reason a person reads on the 409 page.
BY_CODE = {
    "task_closed": "该事项已办结或已撤销,不能再办理。",
    "not_awaiting_acknowledgement": "该事项不在待签收状态。",
    "already_acknowledged": "本单位已签收该事项。",
    "not_acknowledged": "请先签收该事项,再反馈进展或申请。",
    "not_in_progress": "该事项不在办理中,不能进行此项操作。",
    "no_completion_requested": "该事项没有待审核的办结申请。",
    "extension_already_pending": "已有一项延期申请等待审批。",
    "extension_not_pending": "没有待审批的延期申请。",
    "deadline_passed": "办结期限已过,不能再申请延期。",
    "extension_not_forward": "新的期限必须晚于当前期限。",
    "dissent_blocks_agreement": "有不同意见的事项不能记为一致通过。",
    "minutes_frozen": "纪要已印发,只能通过更正记录修改。",
    "meeting_not_held": "会议尚未召开(尚未记录出席情况)。",
    "minutes_not_issued": "纪要尚未印发。",
    "topic_not_open": "该议题已处理,不能再次处理。",
    "duplicate_minutes_number": "纪要编号已被使用。",
    "account_disabled": "该账号已停用。",
    "not_lead_unit": "只有牵头单位可以办理此项操作。",
    "not_assigned_unit": "该事项未交办给本单位。",
    "not_urged": "该事项没有需要回复的催办。",
    "report_already_issued": "本期督查报告已经印发,同一报告期只能印发一次。",
}


def chinese(message: str) -> str:
    """A refusal's English message in Chinese (the message itself when it is already Chinese or unknown)."""
    for pattern, replacement in _COMPILED:
        if pattern.fullmatch(message.strip()):
            return pattern.sub(replacement, message.strip())
    return message


def reason(error: DomainError) -> str:
    """What a person reads when an action is refused: by the error's code first, else its message."""
    return BY_CODE.get(getattr(error, "code", ""), chinese(error.message))
