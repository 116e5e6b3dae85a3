"""The pages' form kit: a form read through the API's schema, refusals in Chinese beside the field."""

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from domain.errors import InvalidValue, TaskClosed
from web import forms, schemas


def test_a_form_is_read_through_the_api_schema_with_lists_numbers_and_defaults():
    form = MultiDict([("lead_unit", "finance"), ("co_units", "health"), ("co_units", "education"),
                      ("co_units", ""), ("title", "推进项目"), ("description", ""), ("deadline", "2026-12-31")])
    data = forms.fields_of(schemas.AssignTask(), form)
    assert data == {"lead_unit": "finance", "co_units": ["health", "education"], "title": "推进项目",
                    "deadline": "2026-12-31"}
    assert forms.fields_of(schemas.ReportProgress(), MultiDict([("percent", "40"), ("text", "x")]))["percent"] == 40


def test_refusals_come_back_in_chinese_beside_each_field():
    with pytest.raises(forms.FormInvalid) as refused:
        forms.load(schemas.ReportProgress(), {"percent": 140, "text": " "})
    assert refused.value.errors == {"percent": ["请填写 0 到 100 之间的数"], "text": ["此项不能为空"]}
    with pytest.raises(forms.FormInvalid) as refused:
        forms.load(schemas.ReportProgress(), {"percent": "四十"})
    assert refused.value.errors["percent"] == ["请填写整数"] and refused.value.errors["text"] == ["此项必填"]


def test_the_ledger_refusal_of_a_value_lands_beside_its_field_and_the_form_key_is_the_command_key():
    app = Flask(__name__)
    seen = {}

    def command(actor, *, idempotency_key, deadline):
        seen["key"] = idempotency_key
        raise InvalidValue("deadline", "must be no later than 2036-11-23")

    with app.test_request_context(method="POST", data={"form_key": "page:abc"}):
        with pytest.raises(forms.FormInvalid) as refused:
            forms.run(command, "actor", deadline="2099-01-01")
    assert seen["key"] == "page:abc"
    assert refused.value.errors == {"deadline": ["不能晚于 2036-11-23"]}


def test_a_forbidden_change_reads_as_its_reason():
    assert forms.reason(TaskClosed("task is closed")) == "该事项已办结或已撤销,不能再办理。"
    assert forms.chinese("something new") == "something new"
