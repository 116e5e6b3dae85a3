"""The web side: Flask app factory. The ledger is built here, after gunicorn forks, never at import."""

from __future__ import annotations

from typing import Any

from flask import Flask

from coordination.bootstrap import open_ledger
from coordination.config import Settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(JSON_AS_ASCII=False)
    if test_config:
        app.config.update(test_config)
    settings = app.config.get("SETTINGS") or Settings.from_env()
    if settings.secret_key:
        app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["ledger"] = app.config.get("LEDGER") or open_ledger(settings).ledger
    app.json.ensure_ascii = False

    from web import pages

    app.register_blueprint(pages.blp)
    return app
