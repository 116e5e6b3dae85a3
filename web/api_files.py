"""Evidence files (佐证材料) over HTTP: upload (multipart, field `file`) and download by SHA-256."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, g, request
from flask_smorest import Blueprint

from coordination.files import StoredFile
from web.exports import attachment
from web.runtime import ledger

blp = Blueprint("files", __name__, url_prefix="/api/v1/files", description="佐证材料 / evidence files")

MULTIPART_ALLOWANCE = 1024 * 1024
"""Room in a request beyond its files for the multipart framing and a page form's other fields."""
UPLOAD_ENDPOINTS = {"files.upload", "tasks_pages.report_progress", "tasks_pages.request_completion"}
"""Where a body may carry files: the app's 1 MiB body limit is lifted to the upload limit there."""


@blp.record_once
def _lift_body_limit_first(state) -> None:
    """Before any other hook reads the body (the pages' CSRF check reads the form), or it meets 1 MiB."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)


def allow_uploads() -> None:
    """Lift the app's body limit to the upload limit on an upload endpoint (a larger body → 413)."""
    if request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = ledger().upload_limit + MULTIPART_ALLOWANCE


def download(stored: StoredFile) -> Response:
    """The bytes as a download named in Chinese; never rendered inline, whatever type the uploader declared."""
    fallback = "evidence-" + stored.sha256[:12] + _ascii_suffix(stored.name)
    response = attachment(stored.content, stored.content_type, stored.name, fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=0"
    response.headers["X-Content-SHA256"] = stored.sha256
    return response


def _ascii_suffix(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    return "." + suffix if suffix.isascii() and suffix.isalnum() and len(suffix) <= 10 else ""


class Upload(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class StoredOut(ma.Schema):
    sha256 = ma.fields.String()
    name = ma.fields.String()
    size = ma.fields.Integer()
    content_type = ma.fields.String()


@blp.route("", methods=["POST"])
@blp.arguments(Upload, location="files")
@blp.response(201, StoredOut)
def upload(files):
    """上传佐证材料 (office, liaison, supervisor): stored once per content, named by its SHA-256."""
    file = files["file"]
    return ledger().store_file(g.actor, name=file.filename or "", content=file.read(), content_type=file.mimetype)


@blp.route("/<sha256>", methods=["GET"])
@blp.response(200)
def get_file(sha256):
    """The file's bytes, for its uploader and for whoever may read a task that names it (else 404)."""
    return download(ledger().evidence_file(g.actor, sha256))
