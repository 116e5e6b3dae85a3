"""Evidence files (佐证材料): uploaded once, stored by their SHA-256 outside the event log, read by those entitled.

The bytes live in `evidence_files` (migration 0022), each under its SHA-256, so the same bytes uploaded
twice are stored once. `evidence_uploads` remembers who uploaded which bytes under which name and type;
`evidence_references` which tasks name a file as evidence. Progress reports and completion requests may
name only files the reporter may read (an unknown file → 422), and whoever may read a task that names a
file may read the file (coordination/authorization.py). The log keeps only {name, sha256}.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from coordination.authorization import can_read_file, require_role
from coordination.config import DEFAULT_UPLOAD_LIMIT_MB, MIB
from coordination.errors import FileTooLarge
from coordination.runner import CommandRunner
from domain import values
from domain.actors import Actor
from domain.errors import InvalidValue, NotFound
from domain.tasks import Task

CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
UNKNOWN_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    name: str
    content_type: str
    size: int
    content: bytes


class FileStore:
    """The three evidence tables, through the ledger's own connection pool."""

    def __init__(self, datastore: Any):
        self.datastore = datastore
        self.names = {t: sql.Identifier(datastore.schema, t)
                      for t in ("evidence_files", "evidence_uploads", "evidence_references")}

    def _run(self, query: str, params: tuple, *, fetch: str | None = None) -> Any:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql.SQL(query).format(**self.names), params)
            return curs.fetchone() if fetch == "one" else curs.fetchall() if fetch == "all" else None

    def put(self, digest: str, content: bytes, *, username: str, name: str, content_type: str, at: datetime) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql.SQL("INSERT INTO {evidence_files} (sha256, size, content, stored_at) VALUES (%s, %s, %s, %s)"
                                 " ON CONFLICT (sha256) DO NOTHING").format(**self.names),
                         (digest, len(content), content, at))
            curs.execute(sql.SQL("INSERT INTO {evidence_uploads} (sha256, username, name, content_type, uploaded_at)"
                                 " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING").format(**self.names),
                         (digest, username, name, content_type, at))

    def uploads(self, digest: str) -> list[dict[str, Any]]:
        """Who uploaded these bytes under which name, earliest first."""
        return self._run("SELECT username, name, content_type FROM {evidence_uploads} WHERE sha256 = %s"
                         " ORDER BY uploaded_at, username, name", (digest,), fetch="all")

    def content(self, digest: str) -> tuple[int, bytes] | None:
        row = self._run("SELECT size, content FROM {evidence_files} WHERE sha256 = %s", (digest,), fetch="one")
        return (row["size"], bytes(row["content"])) if row else None

    def cite(self, digests: list[str], aggregate_id: UUID, kind: str) -> None:
        for digest in digests:
            self._run("INSERT INTO {evidence_references} (sha256, aggregate_id, kind) VALUES (%s, %s, %s)"
                      " ON CONFLICT DO NOTHING", (digest, aggregate_id, kind))

    def references(self, digest: str) -> list[dict[str, Any]]:
        return self._run("SELECT aggregate_id, kind FROM {evidence_references} WHERE sha256 = %s ORDER BY aggregate_id",
                         (digest,), fetch="all")


def file_name(name: Any) -> str:
    """The file's own name, without any folder a browser sent with it (C:\\fakepath\\…)."""
    if not isinstance(name, str):
        raise InvalidValue("file", "must have a name")
    return values.text("file", name.replace("\\", "/").rsplit("/", 1)[-1], max_length=values.FILE_NAME)


def content_type_of(value: Any) -> str:
    """The declared type without parameters, when it looks like one; else application/octet-stream."""
    kind = (value or "").split(";", 1)[0].strip().lower() if isinstance(value, str) else ""
    return kind if CONTENT_TYPE.match(kind) else UNKNOWN_TYPE


class FileUseCases(CommandRunner):
    upload_limit: int = DEFAULT_UPLOAD_LIMIT_MB * MIB
    """The largest file accepted, in bytes (Settings.upload_limit_bytes, set by coordination.bootstrap)."""

    @property
    def files(self) -> FileStore:
        if not hasattr(self, "_files"):
            self._files = FileStore(self.recorder.datastore)
        return self._files

    def store_file(self, actor: Actor, *, name: str, content: bytes, content_type: str | None = None) -> dict[str, Any]:
        """上传佐证材料 (office, liaison, supervisor): stored once per content; answers {sha256, name, size, content_type}."""
        require_role(actor, "office", "liaison", "supervisor")
        name = file_name(name)
        if not isinstance(content, bytes):
            raise InvalidValue("file", "must be a file")
        if len(content) > self.upload_limit:
            raise FileTooLarge(f"the file is larger than the limit of {self.upload_limit} bytes")
        if not content:
            raise InvalidValue("file", "must not be empty")
        digest = hashlib.sha256(content).hexdigest()
        kind = content_type_of(content_type)
        self.files.put(digest, content, username=actor.username, name=name, content_type=kind, at=self.clock.now())
        return {"sha256": digest, "name": name, "size": len(content), "content_type": kind}

    def evidence_file(self, actor: Actor, digest: str) -> StoredFile:
        """One file with its bytes, named as its reader uploaded it (else as first uploaded); unknown or not
        readable → NotFound alike, so that nobody learns which files exist."""
        digest = digest.lower() if isinstance(digest, str) else ""
        uploads = self.files.uploads(digest) if values.SHA256.match(digest) else []
        if not uploads or not self._may_read(actor, digest, uploads):
            raise NotFound(f"no file {digest[:64]}")
        stored = self.files.content(digest)
        if stored is None:
            raise NotFound(f"no file {digest}")
        upload = next((u for u in uploads if u["username"] == actor.username), uploads[0])
        return StoredFile(sha256=digest, name=upload["name"], content_type=upload["content_type"], size=stored[0],
                          content=stored[1])

    def check_evidence(self, actor: Actor, evidence: Any) -> list[str]:
        """Evidence must name files uploaded before that the actor may read (→ 422 on the entry); their digests."""
        digests = []
        for index, item in enumerate(values.evidence("evidence", evidence)):
            uploads = self.files.uploads(item["sha256"])
            if not uploads or not self._may_read(actor, item["sha256"], uploads):
                raise InvalidValue(f"evidence.{index}.sha256", "names no uploaded file; upload it first")
            digests.append(item["sha256"])
        return digests

    def _may_read(self, actor: Actor, digest: str, uploads: list[dict[str, Any]]) -> bool:
        uploaded = any(u["username"] == actor.username for u in uploads)
        return can_read_file(actor, uploaded=uploaded, tasks=self._tasks_naming(digest))

    def _tasks_naming(self, digest: str) -> Iterator[Task]:
        """The tasks whose own history names the file (a reference left by a command that failed grants nothing)."""
        for reference in self.files.references(digest):
            if reference["kind"] != "task":
                continue
            events = list(self.events.get(reference["aggregate_id"]))
            if events and any(digest in (e.get("sha256") for e in getattr(event, "evidence", None) or [])
                              for event in events):
                task = self.repository.get(reference["aggregate_id"])
                if isinstance(task, Task):
                    yield task
