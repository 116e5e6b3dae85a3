"""The web side: Flask app factory — the table of contents. Nothing is built at import time: the
ledger and the views' connection pool are made here, after gunicorn forks."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import structlog
from flask import Flask, g, request, send_from_directory
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from psycopg_pool import ConnectionPool
from werkzeug.middleware.proxy_fix import ProxyFix

from coordination import passwords
from coordination.bootstrap import open_ledger
from coordination.config import Settings
from coordination.ledger import Ledger
from coordination.storage import database_url
from coordination.logs import configure_logging

log = structlog.get_logger("web.request")
MAX_BODY_BYTES = 1024 * 1024
POOL_TIMEOUT_SECONDS = 3
"""How long a request waits for a database connection before it answers 503."""
AGGREGATE_CACHE = 20_000
"""Aggregates (users, tasks, meetings) a web process keeps, each brought up to date at every load."""
CHECK_IDLE_SECONDS = 2.0
"""A pooled connection idle longer than this is checked (one empty query) before use: one that died with a
database restart is replaced, while a busy server pays no round trip for the check."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    configure_logging()
    app = Flask(__name__)
    app.config.from_mapping(
        API_TITLE="协调机制台账 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs-assets/",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("COORDINATION_BEHIND_TLS", "") in {"1", "yes", "true"},
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    if test_config:
        app.config.update(test_config)
    settings = app.config.get("SETTINGS") or Settings.from_env()
    passwords.prepare()
    attach(app, settings, app.config.get("LEDGER"))
    app.json.ensure_ascii = False
    if settings.trusted_proxies > 0:  # behind N proxies: the client address from X-Forwarded-For, else ignored
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)

    from web import (api_accounts, api_calendar, api_ledger, api_meetings, api_notifications, api_reads, api_tasks, auth,
                     errors, guards, operations, pages, pages_accounts, pages_ledger)
    from web import api_documents, forms, pages_reports
    from web import pages_meetings, pages_office, pages_register
    from web import pages_supervision
    from web import api_files, pages_liaison, pages_tasks

    class LedgerApi(Api):
        ERROR_SCHEMA = errors.ContractError

    api = LedgerApi(app)
    errors.register(app)
    guards.register(app)
    api.register_blueprint(auth.blp)
    api.register_blueprint(api_tasks.blp)
    api.register_blueprint(api_reads.blp)
    api.register_blueprint(api_meetings.blp)
    api.register_blueprint(api_ledger.blp)
    api.register_blueprint(api_calendar.blp)
    api.register_blueprint(api_notifications.blp)
    api.register_blueprint(api_accounts.blp)
    api.register_blueprint(api_documents.blp)
    api.register_blueprint(api_files.blp)
    app.register_blueprint(pages.blp)
    app.register_blueprint(operations.blp)
    app.register_blueprint(pages_ledger.blp)
    app.register_blueprint(pages_accounts.blp)
    app.register_blueprint(pages_reports.blp)
    for blueprint in (pages_office.blp, pages_meetings.blp, pages_register.blp):  # the office's pages
        app.register_blueprint(blueprint)
    app.register_blueprint(pages_supervision.blp)
    app.register_blueprint(pages_tasks.blp)
    app.register_blueprint(pages_liaison.blp)
    app.jinja_env.globals["new_form_key"] = forms.new_form_key
    csrf = CSRFProtect(app)  # forms of the pages; the API authenticates by bearer token instead
    for blueprint in (auth.blp, api_tasks.blp, api_reads.blp, api_meetings.blp, api_ledger.blp, api_calendar.blp,
                      api_notifications.blp, api_accounts.blp, api_documents.blp, api_files.blp):
        csrf.exempt(blueprint)
    _serve_docs_assets(app)
    _log_requests(app)
    return app


def attach(app: Flask, settings: Settings, ledger: Ledger | None = None) -> None:
    """What the app works on: the settings, the ledger (made here unless given) and the views' pool.

    create_app calls it once. The test suite calls it again to point one app at another test's database:
    building the routes and the OpenAPI document is most of create_app's 0.1–0.2 s, and the same every time.
    """
    app.config["SECRET_KEY"] = settings.secret_key or app.config.get("SECRET_KEY") or uuid.uuid4().hex
    app.extensions["settings"] = settings
    app.extensions["ledger"] = ledger or open_ledger(settings, cache=AGGREGATE_CACHE).ledger
    schema = settings.schema
    search_path = {"options": f"-c search_path={schema}"} if schema else {}
    app.extensions["pool"] = ConnectionPool(
        database_url(settings), min_size=1, max_size=8, open=True, timeout=POOL_TIMEOUT_SECONDS,
        check=_check_when_idle, reset=_note_returned,
        kwargs={"autocommit": True, "connect_timeout": POOL_TIMEOUT_SECONDS, **search_path})


def _note_returned(conn) -> None:
    conn._returned_at = time.monotonic()  # noqa: SLF001 — our own mark on the connection


def _check_when_idle(conn) -> None:
    if time.monotonic() - getattr(conn, "_returned_at", 0.0) > CHECK_IDLE_SECONDS:
        ConnectionPool.check_connection(conn)


def _serve_docs_assets(app: Flask) -> None:
    """Swagger UI's files from the installed swagger-ui-bundle package: no CDN (intranets have no internet)."""
    import swagger_ui_bundle

    folder = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/api/v1/docs-assets/<path:name>")
    def docs_assets(name: str):
        return send_from_directory(folder, name)


def _log_requests(app: Flask) -> None:
    """One line per request with its id (echoed in X-Request-ID), user, unit, status and duration."""

    @app.before_request
    def start() -> None:
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        actor = g.get("actor")
        log.info("request", method=request.method, path=request.path, status=response.status_code,
                 user=actor.username if actor else None, unit=actor.unit if actor else None,
                 ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1))
        return response
