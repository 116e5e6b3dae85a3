"""The one error mapping: domain and application errors → the contract's HTTP error body.

Body: {"code": <status>, "status": "<reason>", "message": "<sentence>", "errors": {field: [msg]}}.
"""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
import structlog
from flask import Flask
from flask_smorest.error_handler import ErrorSchema
from werkzeug.exceptions import HTTPException

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError

from coordination.errors import AuthenticationFailed, FileTooLarge, LogDamaged, StoreUnavailable, ViewsBehind
from domain.errors import AccountDisabled, DomainError, ForbiddenTransition, InvalidValue, NotFound, NotPermitted

from documents.fonts import FontMissing
from web import forms
from web.page_errors import page, wants_page

STATUS_OF: list[tuple[type[Exception], int]] = [
    (AuthenticationFailed, 401),
    (AccountDisabled, 403),
    (InvalidValue, 422),
    (FileTooLarge, 413),
    (NotPermitted, 403),
    (NotFound, 404),
    (ForbiddenTransition, 409),
    (ViewsBehind, 503),
    (StoreUnavailable, 503),
    (LogDamaged, 503),
]
RETRY_AFTER_SECONDS = 5
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, StoreOperationalError, StoreInterfaceError)
"""Failures to reach the database: the answer is 503 with Retry-After, never 500."""


class ContractError(ErrorSchema):
    """The error body of the contract, with the stable error code beside the HTTP status."""

    error = ma.fields.String(metadata={"description": "stable error code, e.g. task_closed"})


def body(status: int, message: str, errors: dict | None = None, code: str | None = None) -> dict:
    payload = {"code": status, "status": HTTPStatus(status).phrase, "message": message, "errors": errors or {}}
    if code:
        payload["error"] = code
    return payload


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        status = next((s for kind, s in STATUS_OF if isinstance(error, kind)), 409)
        message = error.message
        if isinstance(error, LogDamaged):
            app.logger.error("ledger.damaged: %s", message)
            message = _with_position(error)
        # A damaged log does not heal by retrying: no Retry-After for it.
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 and not isinstance(error, LogDamaged) else {}
        if wants_page():
            return page(status, forms.reason(error) if status in (403, 409, 422) else None, headers)
        return body(status, message, getattr(error, "errors", None), error.code), status, headers

    for unreachable in UNREACHABLE:
        app.register_error_handler(unreachable, database_unreachable)

    @app.errorhandler(FontMissing)
    def font_missing(error: FontMissing):
        """The PDF and the charts need a CJK font on the server: say which and how, never a bare 500."""
        app.logger.error("documents.font_missing: %s", error)
        if wants_page():
            return page(503, "服务器缺少中文字体(请安装 fonts-noto-cjk),暂时无法生成 PDF 和图表。")
        return body(503, f"the server has no CJK font for PDFs and charts: {error}", code="font_missing"), 503

    from web.auth import THROTTLE_WINDOW, TooManyFailures

    @app.errorhandler(TooManyFailures)
    def too_many(error: TooManyFailures):
        seconds = int(THROTTLE_WINDOW.total_seconds())
        return (body(429, "too many failed logins; try again later", code="too_many_failures"), 429,
                {"Retry-After": str(seconds)})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("messages") or data.get("errors") or {}
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "headers", "path", "form", "files"}:
            # webargs groups messages by location: name the fields, or the location for a whole-body error.
            flat: dict = {}
            for location, found in errors.items():
                flat.update(found if isinstance(found, dict) else {location: found})
            errors = flat
        status = error.code or 500
        message = data.get("message") or (error.description if status != 422 else "the input is invalid")
        headers = dict(data.get("headers") or {})
        if getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if wants_page():
            return page(status, None, headers)
        return body(status, message, errors), status, headers

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("request.failed")
        if wants_page():
            return page(500)
        return body(500, "internal error; it has been logged. If this was a change, check whether it was "
                         "recorded before repeating it (or repeat it with the same Idempotency-Key)"), 500


def database_unreachable(error: Exception):
    """The database did not answer: 503 with Retry-After, and the honest word on a command's fate."""
    structlog.get_logger("web.errors").warning("database.unreachable", error=type(error).__name__)
    message = ("the database is not answering; try again shortly. If this was a change, it may or may not "
               "have been recorded: repeat it with the same Idempotency-Key to be sure it is recorded once")
    if wants_page():
        return page(503, None, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return (body(503, message, code="store_unavailable"), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _with_position(error: LogDamaged) -> str:
    """The damaged history's message with the log position where the chain saw the missing event."""
    from projections.chain import position_of_event
    from web.runtime import pool

    try:
        with pool().connection() as conn:
            position = position_of_event(conn, error.aggregate_id, error.version)
    except Exception:  # naming the position is a courtesy; the error must be answered regardless
        return error.message
    return f"{error.message} (log position {position})" if position is not None else error.message
