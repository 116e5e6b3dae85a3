"""What every API request must be before a view sees it: authenticated (except where one signs in or
reads the docs), then a JSON body within limits and known query parameters — in that order, so that a
caller without a valid token learns nothing about what the endpoint would accept.

A body that is not UTF-8, nests deeper than MAX_JSON_DEPTH, or holds text the domain would refuse
anywhere (a lone surrogate, NUL, a control character — in a key too) is refused here, so that no
such value can reach a handler, a log line or an error message. A query parameter the endpoint does
not declare is a 422, not silence.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import abort

from coordination.recorder import READER
from domain import values
from web.auth import authenticate

MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 1000
"""Entries of one array or object: far above any list the contract allows (50), far below what would keep
a thread busy validating a 1 MiB body for tens of seconds (found by make fuzz)."""
OPEN_BLUEPRINTS = {"auth", "api-docs", None}
"""Where no bearer token is asked for: signing in, and the OpenAPI document with its browsable docs."""
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def register(app: Flask) -> None:
    @app.before_request
    def guard() -> None:
        READER.set(None)  # a thread serves many requests: no token of an earlier one carries over
        if not request.path.startswith("/api/"):
            return
        if request.blueprint not in OPEN_BLUEPRINTS:
            authenticate()
        check_query()
        if request.method in BODY_METHODS and request.is_json:
            check_json_body()


def declared_query(view: Any, method: str) -> set[str] | None:
    """The query parameters a flask-smorest view declares; None for a view that is not one of ours."""
    func = getattr(getattr(view, "view_class", None), method.lower(), None) or view
    apidoc = getattr(func, "_apidoc", None)
    if apidoc is None:
        return None
    declared: set[str] = set()
    for parameter in apidoc.get("arguments", {}).get("parameters", []):
        if parameter["in"] == "query":
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            declared |= {f.data_key or name for name, f in schema.fields.items()}
    return declared


_declared: dict[tuple[str, str], set[str] | None] = {}
"""Per process: the query parameters of each endpoint and method (fixed once the routes are built)."""


def check_query() -> None:
    key = (request.endpoint or "", request.method)
    if key not in _declared:
        view = current_app.view_functions.get(key[0])
        _declared[key] = declared_query(view, request.method) if view else None
    declared = _declared[key]
    if declared is None:
        return
    unknown = sorted(set(request.args) - declared)
    if unknown:
        abort(422, message="unknown query parameter", errors={name[:100]: ["Unknown field."] for name in unknown})


def check_json_body() -> None:
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        abort(400, message="the body is not UTF-8")
    except RecursionError:
        abort(400, message=f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    except ValueError as exc:  # malformed, or a number too long to convert (found by make fuzz)
        abort(400, message=f"the body is not valid JSON: {str(exc)[:120]}")
    problems = _problems(document)
    if problems:
        abort(422, message="the input is invalid", errors=problems)


def _problems(document: Any) -> dict[str, list[str]]:
    """Every string in the document (keys included) checked against the text rule; depth bounded."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[Any, str | None, int]] = [(document, None, 0)]  # None: the body itself
    while stack and len(found) < 20:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            abort(400, message=f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, (dict, list)) and len(node) > MAX_JSON_ITEMS:
            found[_name(path)] = [f"must have at most {MAX_JSON_ITEMS} entries"]
            continue
        if isinstance(node, dict):
            for key, value in node.items():
                where = key if path is None else f"{path}.{key}"
                problem = values.text_problem(key)
                if problem:
                    found[_name(path)] = [f"a field name {problem}"]
                    continue
                stack.append((value, where, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, str(i) if path is None else f"{path}.{i}", depth + 1) for i, value in enumerate(node))
        elif isinstance(node, str):
            problem = values.text_problem(node)
            if problem:
                found[_name(path)] = [problem]
    return found


def _name(path: str | None) -> str:
    """The field a problem is reported under: its path into the body, or `json` for the body itself."""
    return "json" if path is None else path[:200]
