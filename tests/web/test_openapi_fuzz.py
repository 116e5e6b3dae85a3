"""`make fuzz`: schemathesis and hypothesis against every operation of /api/v1/openapi.json, as the office,
a liaison, a supervisor and an admin, with valid, invalid and hostile inputs.

schemathesis' pytest plugin breaks on pytest 9.2, so its hypothesis strategies are driven directly
(`operation.as_strategy`) and every request goes through Flask's test client (tests/web/fuzz_harness.py).

Cases: COORDINATION_FUZZ_CASES (a few hundred by default, for `make test`; `make fuzz` asks for 10,000),
seeded with COORDINATION_FUZZ_SEED so that a run is reproducible. About 70 % are schemathesis cases
(positive and negative data generation, path parameters replaced by ids that exist most of the time);
the rest are hostile inputs schemathesis does not produce: text over all of Unicode (NUL, C0/C1
controls, lone surrogates), dates from 0001 to 9999 and impossible ones, `as_of` at the extremes, JSON
nested 100,000 deep, huge arrays, malformed bodies, unknown query parameters, wrong methods, odd headers.

Checked on every answer: no 5xx at all (the database is up); every error carries the contract's body
{code, status, message, errors}; a 405 carries Allow; a 422 names the field; documented responses match
their schema; input invalid by the schema is not accepted; a refused command leaves the log as it was
(always through the ledger's position, and for a sample through GET /api/v1/events as a supervisor).
At the end the projection worker must have caught up with the whole log and the read side must answer.
The report (cases per role, status histogram, every failure with a curl line) is printed and written to
var/fuzz-report.txt.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from typing import Any, Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from domain.charter import UNIT_CODES
from tests.web.fuzz_harness import (HTTP_METHODS, ROLES, USERS_OF, Recorder, Sent, World, encode_query,
                                    json_bytes, negative_problems, new_id, resolve)

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
CASES = int(os.environ.get("COORDINATION_FUZZ_CASES", "100"))
SEED = int(os.environ.get("COORDINATION_FUZZ_SEED", "20260302"))
REPORT = Path(os.environ.get("COORDINATION_FUZZ_REPORT", ROOT / "var" / "fuzz-report.txt"))
SCHEMATHESIS_SHARE = 0.7
SUBSTITUTE_PATH_PARAMETERS = 0.75  # how often a path parameter is replaced by something that exists
VIEWS_CATCH_UP_SECONDS = 60.0
PERIODS = ["2026H1", "2025H2", "2026H2", "2019H1"]

# Who may actually perform an operation, so that hostile input gets past the role check to the storage.
ACTOR_FOR = [
    ("POST", "/api/v1/users", "admin1"),
    ("POST", "/acknowledgements", "fin"), ("POST", "/progress", "fin"), ("POST", "/completion-request", "fin"),
    ("POST", "/extension-requests", "fin"),  # the request itself; its decision is matched first below
    ("POST", "/comments", "dukao1"), ("POST", "/issue", "dukao1"),
]


def actor_for(method: str, path: str) -> str:
    if path.endswith("/decision"):
        return "office1"
    if path.startswith("/api/v1/reports/") and path.endswith("/issue"):
        return "dukao1"
    for m, suffix, user in ACTOR_FOR:
        if m == method and path.endswith(suffix):
            return user
    return "office1"


# --- the world the fuzz plays in ---------------------------------------------------------------------

def seed_world(rec: Recorder, clock) -> World:
    """Meetings, minutes, resolutions, topics and tasks in every state, through the API itself."""
    world = World()
    rec.world = world

    def call(user, method, path, body=None):
        response = rec.client.open(path, method=method, json=body,
                                   headers={"Authorization": f"Bearer {rec.token(user)}"})
        assert response.status_code < 300, (method, path, response.get_data(as_text=True))
        return response.get_json()

    # An account of no use to the harness, for logins with hostile passwords (failures are throttled per account).
    call("admin1", "POST", "/api/v1/users", {"username": "victim", "password": "A long password 2026", "unit": "statistics",
                                             "roles": ["liaison"]})
    for code in UNIT_CODES:
        world.add("code", code)
    for period in PERIODS:
        world.add("period", period)
    for number in (1, 2, 3):
        world.add("number", number)
    for user in ("office1", "fin"):
        world.add("topic_id", call(user, "POST", "/api/v1/topics", {"title": f"议题 {user}", "background": "示范区"})["id"])
    call("office1", "POST", f"/api/v1/topics/{world.values['topic_id'][0]}/acceptance")
    today = clock.now().date()
    items = [{"title": "保障机制", "text": "财政局牵头", "category": "funding", "outcome": "agreed"},
             {"title": "阵地建设", "text": "住建局牵头", "category": "facilities", "outcome": "agreed"},
             {"title": "人员下派", "text": "再议", "category": "talent", "outcome": "deferred"}]
    for n, stage in enumerate(("scheduled", "attended", "drafted", "issued")):
        meeting = call("office1", "POST", "/api/v1/meetings", {
            "kind": "office" if n % 2 else "plenary", "title": f"会议 {n}", "date": today.isoformat(),
            "location": "会议室", "chair": "召集人", "topics": world.values["topic_id"][:1] if n == 3 else []})
        url = f"/api/v1/meetings/{meeting['id']}"
        world.add("meeting_id", meeting["id"])
        if stage == "scheduled":
            continue
        call("office1", "POST", f"{url}/attendance", {"present": ["finance", "education", "housing-construction"],
                                                      "absent": [{"unit": "statistics", "reason": "出差"}]})
        if stage == "attended":
            continue
        call("office1", "PUT", f"{url}/minutes", {"number": f"鹿文协纪〔2026〕{n}号", "summary": "纪要", "items": items})
        if stage == "drafted":
            continue
        for resolution in call("office1", "POST", f"{url}/minutes/issue")["resolutions"]:
            world.add("resolution_id", resolution["id"])

    def task(lead, co, **extra):
        body = {"title": f"任务 {len(world.values['task_id'])}", "source": {"kind": "plan", "reference": "61号"},
                "category": "funding", "lead_unit": lead, "co_units": co,
                "deadline": (today + timedelta(days=90)).isoformat(), **extra}
        created = call("office1", "POST", "/api/v1/tasks", body)
        world.add("task_id", created["id"])
        return f"/api/v1/tasks/{created['id']}"

    task("finance", ["education"])                                              # assigned
    url = task("finance", ["housing-construction"])                             # in progress
    call("fin", "POST", f"{url}/acknowledgements")
    call("fin", "POST", f"{url}/progress", {"percent": 30, "text": "进展"})
    url = task("finance", [])                                                   # extension pending
    call("fin", "POST", f"{url}/acknowledgements")
    call("fin", "POST", f"{url}/extension-requests", {"new_deadline": (today + timedelta(days=200)).isoformat(),
                                                      "reason": "等待"})
    url = task("finance", ["education"])                                        # completion requested
    call("fin", "POST", f"{url}/acknowledgements")
    call("fin", "POST", f"{url}/completion-request", {"summary": "已完成"})
    url = task("finance", [])                                                   # completed
    call("fin", "POST", f"{url}/acknowledgements")
    call("fin", "POST", f"{url}/completion-request", {"summary": "已完成"})
    call("office1", "POST", f"{url}/completion-decision", {"accepted": True, "comment": "同意"})
    task("education", ["housing-construction", "finance"],                      # from a resolution
         source={"kind": "resolution", "resolution_id": world.values["resolution_id"][0]}, category=None)
    url = task("housing-construction", ["education"])                           # cancelled
    call("office1", "POST", f"{url}/cancellation", {"reason": "撤销"})
    return world


# --- schemathesis cases --------------------------------------------------------------------------------

# Headers schemathesis adds for a network client; the app ignores them, the curl lines are shorter without.
SCHEMATHESIS_ONLY_HEADERS = {"content-type", "authorization", "content-length", "user-agent", "accept-encoding",
                             "accept", "connection", "x-schemathesis-testcaseid"}


def sent_from_case(case, user: str) -> Sent:
    kwargs = case.as_transport_kwargs()
    query = kwargs.get("query_string") or {}
    pairs = [(k, v) for k, values in (query.items() if isinstance(query, dict) else query)
             for v in (values if isinstance(values, list) else [values])]
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in SCHEMATHESIS_ONLY_HEADERS}
    content_type = (kwargs.get("headers") or {}).get("Content-Type")
    body: bytes | None = None
    if "json" in kwargs:
        body, content_type = json_bytes(kwargs["json"]), content_type or "application/json"
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
    return Sent(method=case.method.upper(), path=kwargs["path"], query=encode_query(pairs), headers=headers,
                body=body, content_type=content_type, user=user)


def substitute(case, world: World, data, mode: GenerationMode) -> None:
    """Replace generated path parameters by ids that exist, most of the time (never the invalid part of
    a negative case)."""
    from schemathesis.core.parameters import ParameterLocation

    if not case.path_parameters:
        return
    if mode is GenerationMode.NEGATIVE:
        component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        if component is None or component.mode.is_negative:
            return
    for name in list(case.path_parameters):
        if world.has(name) and data.draw(st.floats(0, 1), label=f"substitute {name}") < SUBSTITUTE_PATH_PARAMETERS:
            case.path_parameters[name] = world.pick(name, data.draw(st.integers(0, 10_000), label=name))


def can_be_invalid(doc: dict, operation) -> bool:
    op = doc["paths"][operation.path][operation.method.lower()]
    parameters = op.get("parameters", []) + doc["paths"][operation.path].get("parameters", [])
    return "requestBody" in op or any(
        p["in"] != "path" or resolve(doc, p.get("schema", {})).get("type", "string") != "string" for p in parameters)


def run_schemathesis(rec: Recorder, api_schema, world: World, budget: int) -> list[str]:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Negative data needs something to negate: a body, a query parameter or a path parameter that is not a
    # plain string (any string is a valid path segment). schemathesis would otherwise reject draws until
    # hypothesis gives up, which costs seconds per operation.
    pairs = [(op, mode) for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
             if mode is GenerationMode.POSITIVE or can_be_invalid(rec.openapi, op)]
    # Every (operation, mode) first with one role, then with the next: a small budget still covers every
    # operation, a large one covers every role.
    combos = [(op, mode, ROLES[(i + shift) % len(ROLES)])
              for shift in range(len(ROLES)) for i, (op, mode) in enumerate(pairs)]
    per_combo = max(1, budget // len(combos))
    unsatisfiable: set[tuple[str, str]] = set()
    sent_before = sum(rec.cases_by_source[s] for s in ("schemathesis-positive", "schemathesis-negative"))

    def done() -> int:
        return sum(rec.cases_by_source[s] for s in ("schemathesis-positive", "schemathesis-negative")) - sent_before

    for round_ in range(20):
        for index, (operation, mode, role) in enumerate(combos):
            if done() >= budget:
                return [f"schemathesis: {len(operations)} operations, {len(combos)} (operation, mode, role) "
                        f"combinations, {round_ + 1} round(s); {len(unsatisfiable)} without invalid inputs"]
            label = f"{operation.method.upper()} {operation.path}"
            if (label, mode.value) in unsatisfiable:
                continue
            users = USERS_OF[role]
            source = f"schemathesis-{mode.value}"

            @seed(SEED * 1_000_003 + round_ * 10_007 + index)
            @settings(max_examples=per_combo, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck), derandomize=False)
            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            def one(case, data):  # called at once below: the loop's variables are still this round's
                user = users[data.draw(st.integers(0, len(users) - 1), label="user")]
                substitute(case, world, data, mode)
                is_negative = mode is GenerationMode.NEGATIVE

                def expect(sent, response, body, case=case):
                    return negative_problems(case, response) if is_negative else []

                rec.send(sent_from_case(case, user), operation=label, source=source, case=case, expect=expect)

            try:
                one()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, f"no valid input for {label}?"
                unsatisfiable.add((label, mode.value))
    return [f"schemathesis: stopped after 20 rounds below its budget ({done()} of {budget})"]


# --- hostile inputs ---------------------------------------------------------------------------------

ANY_CHARACTER = st.characters(codec=None, categories=None, exclude_categories=())
NASTY = ["\x00", "a\x00b", "\ud800", "\udfff", "x\udc80y", "\x1b[31m", "\x7f", "\x85", "\x9f", "\u2028", "\ufeff",
         "\u202e", "\uffff", "\U0010ffff", "\x01\x02\x03", "\r\n", "\t", " ", "", "'; DROP TABLE events; --",
         "%s%n%x", "{{7*7}}", "<script>alert(1)</script>", "../../etc/passwd", "Z\u0335\u0336" * 50,
         "名" * 3000, "x" * 100_000, "\x00" * 1000]


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(ANY_CHARACTER, min_size=1, max_size=40),
        st.sampled_from(NASTY),
        st.builds(lambda a, n, b: a + n + b, st.text(max_size=5), st.sampled_from(NASTY[:10]), st.text(max_size=5)),
    )


def is_forbidden_text(value: str) -> bool:
    """NUL, C0/C1 controls other than tab and line breaks, or a lone surrogate: never acceptable as text.
    Judged on the string the server decodes (two adjacent surrogates in JSON make one character)."""
    value = json.loads(json_bytes(value))
    return any((ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
               for c in value)


DATE_STRINGS = ["0000-01-01", "10000-01-01", "2026-02-30", "2026-13-01", "2026-00-10", "2026-1-1", "+002026-01-01",
                "-0001-01-01", " 2026-06-30", "2026-06-30T00:00:00", "2026-06-30Z", "20260630", "2026-W27-1",
                "99999999-12-31", "", "null", "9" * 400, "2026-06-3\x00"]
INSTANT_STRINGS = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00Z",
                   "9999-12-31T23:59:59.999999-14:00", "9999-12-31T23:59:59.999999+00:00", "9999-12-31T23:59:59Z",
                   "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2026-02-30T00:00:00+08:00",
                   "2026-03-02T24:00:00+08:00", "2026-03-02T09:00:00+99:00", "2026-03-02T09:00:00+23:59",
                   "2026-03-02T09:00:00", "2026-03-02", "1e9", "-1", "", "now", "2026-03-02T09:00:00.1234567890123+08:00",
                   "\x00", "2026-03-02T09:00:00+08:00\x00"]


def instants() -> st.SearchStrategy[str]:
    offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
    return st.one_of(
        st.sampled_from(INSTANT_STRINGS),
        st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=offsets).map(datetime.isoformat),
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.just(timezone.utc)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    )


def dates() -> st.SearchStrategy[Any]:
    return st.one_of(st.dates(min_value=date.min, max_value=date.max).map(date.isoformat),
                     st.sampled_from([date.min.isoformat(), date.max.isoformat()]),
                     st.sampled_from(DATE_STRINGS), st.integers(), st.none())


class Hostile:
    """Hypothesis-generated requests schemathesis does not make, each with what it must not do."""

    def __init__(self, rec: Recorder, api_schema, world: World):
        self.rec = rec
        self.world = world
        self.doc = rec.openapi
        self.operations = {f"{op.method.upper()} {op.path}": op
                           for op in (r.ok() for r in api_schema.get_all_operations())}
        self.strategies: dict[str, Any] = {}
        self.with_body = [k for k, op in self.operations.items() if self._body_schema(k)]
        self.with_as_of = [k for k in self.operations if "as_of" in self._parameters(k)]
        self.with_query = [k for k in self.operations if self._parameters(k)]
        self.with_dates = [k for k in self.with_body if self._date_fields(k)]
        self.with_arrays = [k for k in self.with_body if self._array_fields(k)]
        self.kinds: dict[str, Callable] = {
            "hostile-text": self.text, "hostile-date": self.date, "extreme-as-of": self.as_of,
            "deep-json": self.deep_json, "huge-array": self.huge_array, "malformed-body": self.malformed_body,
            "unknown-query-parameter": self.unknown_query, "wrong-method": self.wrong_method,
            "hostile-path": self.hostile_path, "hostile-header": self.hostile_header,
            "hostile-query-value": self.hostile_query_value, "hostile-login": self.hostile_login,
        }

    # the document
    def _op(self, key: str) -> dict:
        method, path = key.split(" ", 1)
        return self.doc["paths"][path][method.lower()]

    def _parameters(self, key: str) -> dict[str, dict]:
        return {p["name"]: p for p in self._op(key).get("parameters", []) if p["in"] == "query"}

    def _body_schema(self, key: str) -> dict | None:
        content = self._op(key).get("requestBody", {}).get("content", {})
        return resolve(self.doc, content["application/json"]["schema"]) if "application/json" in content else None

    def _fields(self, key: str, predicate) -> list[tuple[str, ...]]:
        """Paths (through objects, and the first element of arrays) to properties matching `predicate`."""
        found: list[tuple[str, ...]] = []

        def walk(schema, path, depth):
            schema = resolve(self.doc, schema)
            if depth > 4 or not isinstance(schema, dict):
                return
            if predicate(schema) and path:
                found.append(path)
            for name, sub in (schema.get("properties") or {}).items():
                walk(sub, path + (name,), depth + 1)
            if schema.get("type") == "array" and "items" in schema:
                walk(schema["items"], path + ("0",), depth + 1)

        walk(self._body_schema(key) or {}, (), 0)
        return found

    def _date_fields(self, key):
        return self._fields(key, lambda s: s.get("format") in ("date", "date-time"))

    def _array_fields(self, key):
        return self._fields(key, lambda s: s.get("type") == "array")

    # building blocks
    def positive(self, data, key: str):
        """A valid case of the operation, its path parameters mostly ids that exist."""
        if key not in self.strategies:
            self.strategies[key] = self.operations[key].as_strategy(generation_mode=GenerationMode.POSITIVE)
        case = data.draw(self.strategies[key], label=f"case {key}")
        for name in list(case.path_parameters or {}):
            if self.world.has(name) and data.draw(st.floats(0, 1)) < 0.9:
                case.path_parameters[name] = self.world.pick(name, data.draw(st.integers(0, 10_000)))
        return case

    def user(self, data, key: str) -> str:
        method, path = key.split(" ", 1)
        if data.draw(st.floats(0, 1), label="appropriate user") < 0.7:
            return actor_for(method, path)
        role = data.draw(st.sampled_from(ROLES), label="role")
        return data.draw(st.sampled_from(USERS_OF[role]), label="user")

    def base(self, data, keys: list[str]) -> tuple[str, Any, Sent]:
        key = data.draw(st.sampled_from(sorted(keys)), label="operation")
        case = self.positive(data, key)
        return key, case, sent_from_case(case, self.user(data, key))

    @staticmethod
    def set_at(body: Any, path: tuple[str, ...], value: Any) -> bool:
        node = body
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, list):
                if not node:
                    return False
                if last:
                    node[0] = value
                    return True
                node = node[0]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                    return True
                if part not in node or not isinstance(node[part], (dict, list)):
                    return False
                node = node[part]
            else:
                return False
        return False

    @staticmethod
    def string_paths(body: Any, path=()) -> list[tuple]:
        if isinstance(body, str):
            return [path]
        if isinstance(body, dict):
            return [p for k, v in body.items() for p in Hostile.string_paths(v, path + (k,))]
        if isinstance(body, list):
            return [p for i, v in enumerate(body) for p in Hostile.string_paths(v, path + (str(i),))] if body else []
        return []

    @staticmethod
    def put(body: Any, path: tuple, value: Any) -> None:
        node = body
        for part in path[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(path[-1])] = value
        else:
            node[path[-1]] = value

    # the kinds
    def text(self, data):
        """A string over all of Unicode in a text field (or as an unknown key) of a valid body."""
        key, case, sent = self.base(data, self.with_body)
        body = json.loads(sent.body) if sent.body else {}
        value = data.draw(hostile_text(), label="text")
        paths = self.string_paths(body)
        if isinstance(body, dict) and (not paths or data.draw(st.floats(0, 1)) < 0.1):
            body[value] = "x"  # as an unknown field's name
            field_name = None
        else:
            field_path = data.draw(st.sampled_from(paths), label="field")
            self.put(body, field_path, value)
            field_name = field_path[-1]
        sent.body = json_bytes(body)

        def expect(sent, response, body_, value=value, field_name=field_name):
            if 200 <= response.status_code < 300 and is_forbidden_text(value) \
                    and field_name not in (None, "password", "current_password"):
                return [("forbidden-text-accepted",
                         f"{field_name}={value[:40]!r} (NUL, control or lone surrogate) accepted")]
            return []

        return key, sent, None, expect

    def date(self, data):
        key, case, sent = self.base(data, self.with_dates)
        body = json.loads(sent.body) if sent.body else {}
        field_path = data.draw(st.sampled_from(self._date_fields(key)), label="date field")
        value = data.draw(dates(), label="date")
        if not self.set_at(body, field_path, value) and field_path[-2:-1] == ("0",):
            # a nested list the case left empty: give it one element made of the date alone
            self.set_at(body, field_path[:-2], [{field_path[-1]: value}])
        sent.body = json_bytes(body)
        return key, sent, case, None

    def as_of(self, data):
        key, case, sent = self.base(data, self.with_as_of)
        value = data.draw(instants(), label="as_of")
        pairs = [p for p in sent.query.split("&") if p and not p.startswith("as_of=")]
        sent.query = "&".join(pairs + [encode_query([("as_of", value)])])
        return key, sent, None, None

    def deep_json(self, data):
        key = data.draw(st.sampled_from(sorted(self.with_body)), label="operation")
        depth = data.draw(st.sampled_from([1_000, 5_000, 100_000, 200_000]), label="depth")
        shape = data.draw(st.sampled_from(["open-array", "closed-array", "object", "in-field"]), label="shape")
        body, expr = {
            "open-array": (b"[" * depth, f"'[' * {depth}"),
            "closed-array": (b"[" * depth + b"]" * depth, f"'[' * {depth} + ']' * {depth}"),
            "object": (b'{"a":' * depth + b"1" + b"}" * depth, f"'{{\"a\":' * {depth} + '1' + '}}' * {depth}"),
            "in-field": (b'{"title": ' + b"[" * depth + b"]" * depth + b"}",
                         f"'{{\"title\": ' + '[' * {depth} + ']' * {depth} + '}}'"),
        }[shape]
        method, path = key.split(" ", 1)
        sent = Sent(method=method, path=self.concrete_path(data, path), body=body, content_type="application/json",
                    user=self.user(data, key), recipe=f"import sys; sys.stdout.write({expr})")

        def expect(sent, response, body_):
            if 200 <= response.status_code < 300:
                return [("deep-json-accepted", f"JSON nested {depth} deep accepted")]
            return []

        return key, sent, None, expect

    def huge_array(self, data):
        key, case, sent = self.base(data, self.with_arrays)
        body = json.loads(sent.body) if sent.body else {}
        field_path = data.draw(st.sampled_from(self._array_fields(key)), label="array field")
        size = data.draw(st.sampled_from([1_000, 10_000, 50_000, 200_000]), label="size")
        element = data.draw(st.sampled_from(["finance", 1, None, {}, "x" * 10]), label="element")
        self.set_at(body, field_path, [element] * size)
        sent.body = json_bytes(body)
        sent.recipe = None
        return key, sent, None, None

    def malformed_body(self, data):
        key = data.draw(st.sampled_from(sorted(self.with_body)), label="operation")
        method, path = key.split(" ", 1)
        body, content_type = data.draw(st.sampled_from([
            (b"{", "application/json"), (b"", "application/json"), (b"null", "application/json"),
            (b"[]", "application/json"), (b"42", "application/json"), (b'"text"', "application/json"),
            (b"NaN", "application/json"), (b'{"title": NaN}', "application/json"),
            (b'{"title": Infinity, "percent": -Infinity}', "application/json"),
            (b'{"percent": 1' + b"0" * 5000 + b"}", "application/json"),
            (b'{"percent": 1e999}', "application/json"), (b'{"a":1,"a":2}', "application/json"),
            (b"\xef\xbb\xbf{}", "application/json"), (b'{"title": "\xff\xfe"}', "application/json"),
            (b'{"title": "\xed\xa0\x80"}', "application/json"), (b'{"title": "\\ud800"}', "application/json"),
            (b'{"title": "\\u0000"}', "application/json"), (b"\x00", "application/json"),
            (b"title=x&reason=y", "application/x-www-form-urlencoded"), (b"{}", "text/plain"),
            (b"{}", "application/json; charset=latin-1"), (b"{}", "application/xml"), (b"{}", None),
            (b"--x\r\n\r\n", "multipart/form-data; boundary=x"), (b"x" * (1024 * 1024 + 10), "application/json"),
        ]), label="body")
        sent = Sent(method=method, path=self.concrete_path(data, path), body=body, content_type=content_type,
                    user=self.user(data, key))
        if body.startswith(b'{"percent": 1'):
            sent.recipe = f"import sys; sys.stdout.write('{{\"percent\": 1' + '0' * {len(body) - 14} + '}}')"
        elif len(body) > 4000:
            sent.recipe = f"import sys; sys.stdout.write('x' * {len(body)})"
        return key, sent, None, None

    def unknown_query(self, data):
        """?q= on an otherwise valid request: refused with 422 naming `q`, never silently ignored."""
        key = data.draw(st.sampled_from(sorted(self.operations)), label="operation")
        case = self.positive(data, key)
        sent = sent_from_case(case, self.user(data, key))
        name = data.draw(st.sampled_from(["q", "q", "Q", "as_of_", "limit[]", "\x00"]), label="name")
        value = data.draw(st.one_of(st.just(""), st.text(max_size=10), hostile_text()), label="value")
        sent.query = "&".join(p for p in [sent.query, encode_query([(name, value)])] if p)

        def expect(sent, response, body, name=name):
            status = response.status_code
            if 200 <= status < 300:
                return [("unknown-query-parameter-ignored", f"?{name!r}= answered {status}, not 422")]
            return []

        return key, sent, None, expect

    def wrong_method(self, data):
        path = data.draw(st.sampled_from(sorted(self.doc["paths"])), label="path")
        allowed = self.rec.allowed_methods[path]
        method = data.draw(st.sampled_from([m for m in HTTP_METHODS if m not in allowed]), label="method")
        role = data.draw(st.sampled_from(ROLES), label="role")
        sent = Sent(method=method, path=self.concrete_path(data, path), user=USERS_OF[role][0],
                    body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                    content_type="application/json" if method in ("POST", "PUT", "PATCH") else None)

        def expect(sent, response, body):
            if response.status_code != 405:
                return [("wrong-method-not-405", f"{method} on {path} (allowed {sorted(allowed)}) answered "
                                                 f"{response.status_code}")]
            return []

        return f"{method} {path}", sent, None, expect

    def concrete_path(self, data, template: str) -> str:
        def fill(name):
            if self.world.has(name) and data.draw(st.floats(0, 1)) < 0.9:
                return str(self.world.pick(name, data.draw(st.integers(0, 10_000))))
            return new_id()
        out = template
        while "{" in out:
            start, end = out.index("{"), out.index("}")
            out = out[:start] + fill(out[start + 1:end]) + out[end + 1:]
        return out

    def hostile_path(self, data):
        """A path parameter of raw bytes: percent-encoded NUL, invalid UTF-8, surrogates, huge, dots."""
        key = data.draw(st.sampled_from(sorted(k for k in self.operations if "{" in k)), label="operation")
        method, template = key.split(" ", 1)
        raw = data.draw(st.one_of(
            st.text(ANY_CHARACTER, min_size=1, max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
            st.binary(min_size=1, max_size=20),
            st.sampled_from([b"\x00", b"\xff", b"\xed\xa0\x80", b"..", b".", b"%", b"a/b", b"x" * 10_000,
                             b"9" * 400, b"-1", b"0", b"9223372036854775808", b"18446744073709551616",
                             b"2026H3", b"0000H1", b"9999H2", b"99999H1", b"-2026H1", b"2026h1", b" 2026H1",
                             b"\xe5\x90\x8d", b"00000000-0000-0000-0000-000000000000", b"{task_id}"]),
        ), label="raw")
        segment = quote(raw, safe="")
        names = [n.split("}")[0] for n in template.split("{")[1:]]
        target = data.draw(st.sampled_from(names), label="parameter")
        path = template.replace("{" + target + "}", segment)
        path = self.concrete_path(data, path)
        body = None
        if self._body_schema(key):
            case = self.positive(data, key)
            body = sent_from_case(case, "office1").body
        sent = Sent(method=method, path=path, user=self.user(data, key), body=body,
                    content_type="application/json" if body is not None else None)
        return key, sent, None, None

    def hostile_header(self, data):
        key, case, sent = self.base(data, sorted(self.operations))
        which = data.draw(st.sampled_from(["idempotency", "authorization", "accept", "request-id"]), label="header")
        value = data.draw(st.one_of(
            st.text(st.characters(min_codepoint=1, max_codepoint=255, exclude_characters="\r\n"), max_size=50),
            st.sampled_from(["\x00", "x" * 8000, "", " ", "\x7f", "é", "ÿ" * 100])), label="value")
        if which == "idempotency":
            sent.headers["Idempotency-Key"] = value
        elif which == "authorization":
            sent.user = None
            sent.headers["Authorization"] = data.draw(st.sampled_from(["Bearer ", "Basic ", "", "bearer"])) + value
        elif which == "accept":
            sent.headers["Accept"] = value
        else:
            sent.headers["X-Request-ID"] = value

        def expect(sent, response, body, which=which, key=key):
            if which == "authorization" and response.status_code != 401 and not key.endswith("/auth/token"):
                return [("bad-token-not-401", f"a made-up bearer token answered {response.status_code}")]
            return []

        return key, sent, None, expect

    def hostile_query_value(self, data):
        """A documented query parameter with a hostile value (text over all of Unicode, huge numbers)."""
        key = data.draw(st.sampled_from(sorted(self.with_query)), label="operation")
        case = self.positive(data, key)
        sent = sent_from_case(case, self.user(data, key))
        name = data.draw(st.sampled_from(sorted(self._parameters(key))), label="parameter")
        value = data.draw(st.one_of(
            hostile_text(), st.integers().map(str),
            st.sampled_from(["9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e400",
                             "NaN", "-0", "0x10", "1_000", "１２３", "true", "null", "[]"]),
            st.binary(max_size=10)), label="value")
        pairs = [p for p in sent.query.split("&") if p and not p.startswith(f"{name}=")]
        sent.query = "&".join(pairs + [encode_query([(name, value)])])
        return key, sent, None, None

    def hostile_login(self, data):
        """Logins with hostile names and passwords, each from an address of its own (the throttle is
        per address; the harness must still be able to log in)."""
        value = data.draw(hostile_text(), label="text")
        which = data.draw(st.sampled_from(["username", "password", "both"]), label="field")
        body = {"username": "victim" if which == "password" else value,
                "password": "wrong" if which == "username" else value}
        addr = f"10.{data.draw(st.integers(0, 255))}.{data.draw(st.integers(0, 255))}.{data.draw(st.integers(1, 254))}"
        sent = Sent(method="POST", path="/api/v1/auth/token", body=json_bytes(body),
                    content_type="application/json", remote_addr=addr)

        def expect(sent, response, body_):
            if 200 <= response.status_code < 300:
                return [("hostile-login-accepted", "a made-up password was accepted")]
            return []

        return "POST /api/v1/auth/token", sent, None, expect

    # How often each kind comes up, relative to the others: the big bodies cost the server most of a
    # second each (marshmallow loading 50,000 elements), so they come up less often.
    WEIGHTS = {"huge-array": 1, "deep-json": 1, "malformed-body": 2, "wrong-method": 2, "hostile-login": 1,
               "hostile-text": 4, "hostile-date": 3, "extreme-as-of": 3, "unknown-query-parameter": 3,
               "hostile-path": 2, "hostile-header": 2, "hostile-query-value": 3}

    def run(self, budget: int) -> list[str]:
        kinds = [kind for kind in sorted(self.kinds) for _ in range(self.WEIGHTS[kind])]

        @seed(SEED)
        @settings(max_examples=budget, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=False)
        @given(data=st.data())
        def one(data):
            kind = data.draw(st.sampled_from(kinds), label="kind")
            operation, sent, case, expect = self.kinds[kind](data)
            self.rec.send(sent, operation=operation, source=kind, case=case, expect=expect)

        before = sum(self.rec.cases_by_role.values())
        rounds = 0
        while sum(self.rec.cases_by_role.values()) - before < budget and rounds < 5:
            one()
            rounds += 1
        return [f"hostile: {len(self.kinds)} kinds over {len(self.operations)} operations"]


# --- the views keep up -------------------------------------------------------------------------------

def views_keep_up(rec: Recorder) -> list[str]:
    """After the run: every view at the log head (bounded wait), and the read side answers 200."""
    notes = []
    head = rec.ledger.position()
    positions = rec.wait_for_views(timeout=VIEWS_CATCH_UP_SECONDS)
    sent = Sent("GET", "/api/v1/readyz")
    if positions is None:
        with rec.app.extensions["pool"].connection() as conn:
            now = dict(conn.execute("SELECT name, position FROM projection_tracking").fetchall())
        rec._fail("views-stalled", f"after {VIEWS_CATCH_UP_SECONDS:.0f} s the views are at {now}, the log at {head}",
                  sent, "-", "", "projection worker", None)
    else:
        notes.append(f"views caught up with the log head {head}: {positions}")
    reads = [(u, f"/api/v1/units/{code}/board") for code in UNIT_CODES for u in ("office1", "dukao1")]
    reads += [("fin", "/api/v1/units/finance/board"), ("edu", "/api/v1/units/education/board")]
    reads += [(u, p) for u in ("office1", "dukao1")
              for p in ("/api/v1/dashboard", "/api/v1/tasks", "/api/v1/events", "/api/v1/reports/supervision/2026H1",
                        "/api/v1/meetings", "/api/v1/resolutions")]
    reads += [(u, "/api/v1/tasks") for u in ("fin", "edu", "housing")]
    failed = 0
    for user, url in reads:
        response = rec.harness_get(url, user)
        if response.status_code != 200:
            failed += 1
            rec._fail("read-side-down", f"{url} as {user} answered {response.status_code} after the run",
                      Sent("GET", url, user=user), response.status_code,
                      response.get_data(as_text=True)[:600], f"GET {url}", rec.catcher.last)
    notes.append(f"read side after the run: {len(reads) - failed} of {len(reads)} reads answered 200")
    # The audit log is complete: paging through it yields every position exactly once.
    positions_seen, after = [], 0
    while True:
        response = rec.harness_get(f"/api/v1/events?after={after}&limit=1000")
        if response.status_code != 200:
            break
        page = response.get_json()
        positions_seen += [e["position"] for e in page["events"]]
        if not page["events"]:
            break
        after = page["next_after"]
    skipped = {p for p, names in rec.quarantined.items() if "audit" in names}
    if positions_seen != [p for p in range(1, head + 1) if p not in skipped]:
        missing = sorted(set(range(1, head + 1)) - set(positions_seen) - skipped)[:10]
        rec._fail("audit-incomplete", f"paging GET /api/v1/events gave {len(positions_seen)} events for a log of "
                  f"{head}; first missing {missing}", Sent("GET", "/api/v1/events", user="dukao1"), "-", "",
                  "GET /api/v1/events", None)
    else:
        notes.append(f"GET /api/v1/events pages through all {head} events exactly once"
                     + (f" (but the {len(skipped)} the audit view could not apply)" if skipped else ""))
    return notes


# --- the test ----------------------------------------------------------------------------------------

def test_every_operation_as_every_role_with_valid_invalid_and_hostile_input(app, api, runtime, clock):
    started = time.monotonic()
    openapi = app.test_client().get("/api/v1/openapi.json").get_json()
    rec = Recorder(app, runtime.ledger, openapi, SEED)
    try:
        world = seed_world(rec, clock)
        api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        seeded_at = rec.ledger.position()
        notes = [f"seed {SEED}; world: {seeded_at} events; "
                 + ", ".join(f"{k}: {len(v)}" for k, v in sorted(world.values.items()))]
        schemathesis_budget = max(1, int(CASES * SCHEMATHESIS_SHARE))
        notes += run_schemathesis(rec, api_schema, world, schemathesis_budget)
        hostile = Hostile(rec, api_schema, world)
        notes += hostile.run(max(1, CASES - sum(rec.cases_by_role.values())))
        notes += views_keep_up(rec)
        notes.append(f"log grew from {seeded_at} to {rec.ledger.position()} events; "
                     f"{time.monotonic() - started:.0f} s in all")
        report = rec.report(notes)
    finally:
        rec.close()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report + "\n", encoding="utf-8")
    print("\n" + report)

    # The harness reached the handlers as every role: answered, refused and invalid alike.
    total = sum(rec.cases_by_role.values())
    assert total >= CASES, f"only {total} of {CASES} cases were sent"
    for role in ROLES:
        assert rec.cases_by_role[role] > 0, f"no case as {role}"
        assert any(200 <= s < 300 for s in rec.statuses_by_role[role] if isinstance(s, int)), f"no 2xx as {role}"
    assert {403, 404, 422} <= set(rec.statuses), sorted(rec.statuses, key=str)
    count = sum(len(found) for found in rec.failures.values())
    assert not rec.failures, f"{count} failures in {len(rec.failures)} (kind, operation, status); report in {REPORT}"
