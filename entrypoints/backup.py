"""Backups that prove themselves: every table of the store copied in one consistent snapshot, restored
into an empty database and checked against the signed checkpoints before anyone relies on it.

Format: a tar.gz with `manifest.json` (tables, row counts, SHA-256 of each table's data, the chain head
and last checkpoint at backup time), `tables/<name>.copy` (PostgreSQL COPY text format), `keys/*.pem`
(public keys only) and `files/` (evidence files under the data dir, if any). Never the signing key.
COPY rather than pg_dump: the same file restores into any schema or server, and pg_dump must be at
least the server's version, which the embedded server's tools are not for every DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import structlog
from psycopg import sql

from coordination.config import ConfigurationError, Settings
from coordination.signing import public_key_file, public_pem
from coordination.storage import connect, database_url, ensure_schema, eventsourcing_env, migrate
from ledger_proof.verify_bundle import Verified, keys_by_id, load_public_key
from projections import chain

log = structlog.get_logger(__name__)

FORMAT = "coordination-ledger backup v1"
SKIPPED_TABLES = {"schema_migrations"}
"""Recreated by the restoring code's own migrations, so a backup restores into a newer release too."""
EVIDENCE_DIRS = ("files", "evidence")
"""Directories under the data dir that hold uploaded evidence, if the service keeps files there."""


def backup(settings: Settings, url: str, schema: str | None, out: Path) -> dict[str, Any]:
    """Copy every table in one REPEATABLE READ snapshot into `out` (tar.gz). Returns the manifest."""
    tables: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch, connect(url, schema=schema, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for name, columns in _tables(conn):
                if name in SKIPPED_TABLES:
                    continue
                path = Path(scratch) / f"{name}.copy"
                digest, rows = hashlib.sha256(), 0
                with path.open("wb") as f, conn.cursor() as cur:
                    query = sql.SQL("COPY {} ({}) TO STDOUT").format(
                        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns)))
                    with cur.copy(query) as copy:
                        for data in copy:
                            f.write(data)
                            digest.update(data)
                            rows += bytes(data).count(b"\n")
                tables.append({"name": name, "columns": columns, "rows": rows, "sha256": digest.hexdigest()})
            head = chain.head(conn)
            checkpoint = chain.last_checkpoint(conn)
            checkpoint_keys = {c.key_id: c.public_key for c in chain.checkpoints(conn)}
        manifest = {
            "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tables": tables, "chain_head": head, "last_checkpoint": checkpoint.__dict__ if checkpoint else None,
        }
        with tarfile.open(out, "w:gz") as tar:
            _add(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
            for table in tables:
                tar.add(Path(scratch) / f"{table['name']}.copy", arcname=f"tables/{table['name']}.copy")
            keys = {k: load_public_key(v.encode()) for k, v in checkpoint_keys.items()}
            if public_key_file(settings).exists():
                keys.update(keys_by_id([load_public_key(public_key_file(settings).read_bytes())]))
            for key_id, key in sorted(keys.items()):
                _add(tar, f"keys/{key_id}.pem", public_pem(key))
            for name in EVIDENCE_DIRS:
                if (settings.data_dir / name).is_dir():
                    tar.add(settings.data_dir / name, arcname=f"files/{name}")
    log.info("backup.written", path=str(out), tables=len(tables), head=head)
    return manifest


def restore(settings: Settings, source: Path, *, schema: str | None = None) -> tuple[dict[str, Any], Verified]:
    """Load a backup into an empty store, then verify the chain against the backup's checkpoints.

    Refuses a store that already holds events; raises Divergence when the restored log does not verify,
    ConfigurationError when its chain head is not the backup's.
    """
    from coordination.ledger import Ledger

    url = database_url(settings)
    schema = schema or settings.schema
    with tarfile.open(source, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        if manifest.get("format") != FORMAT:
            raise ConfigurationError(f"{source} is not a coordination-ledger backup")
        if schema:
            ensure_schema(url, schema)
        with connect(url, schema=schema, autocommit=True) as conn:
            if _has_events(conn):
                raise ConfigurationError("the target store is not empty: restore only into an empty data dir, "
                                         "database or COORDINATION_SCHEMA")
        Ledger(eventsourcing_env(url, schema=schema, create_table=True)).close()
        migrate(url, schema=schema)
        with connect(url, schema=schema, autocommit=True) as conn:
            existing = dict(_tables(conn))
            with conn.transaction():
                for table in manifest["tables"]:
                    missing = set(table["columns"]) - set(existing.get(table["name"], ()))
                    if missing:
                        raise ConfigurationError(f"table {table['name']} of the backup does not fit this release "
                                                 f"(missing {', '.join(sorted(missing))})")
                    _load_table(conn, tar, table)
                _reset_sequences(conn)
        _restore_files(settings, tar)
        trusted = _restore_keys(settings, tar)
    with connect(url, schema=schema, autocommit=True) as conn:
        verified = chain.verify(conn, trusted, algorithm=settings.ledger_hash)
        if chain.head(conn) != manifest["chain_head"]:
            raise ConfigurationError(f"the restored chain head {chain.head(conn)} differs from the backup's "
                                     f"{manifest['chain_head']}")
    log.info("backup.restored", path=str(source), head=verified.head_hash, events=verified.events)
    return manifest, verified


def _tables(conn: psycopg.Connection) -> list[tuple[str, list[str]]]:
    rows = conn.execute(
        "SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position)"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        "   ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " GROUP BY c.table_name ORDER BY c.table_name").fetchall()
    return [(name, list(columns)) for name, columns in rows]


def _has_events(conn: psycopg.Connection) -> bool:
    exists = conn.execute("SELECT to_regclass('ledger_events')").fetchone()[0]
    return bool(exists) and conn.execute("SELECT EXISTS (SELECT 1 FROM ledger_events)").fetchone()[0]


def _load_table(conn: psycopg.Connection, tar: tarfile.TarFile, table: dict[str, Any]) -> None:
    name = table["name"]
    # Only a table that init filled needs emptying: the append-only security_events refuses TRUNCATE.
    if conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name))).fetchone()[0]:
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(name)))
    source = tar.extractfile(f"tables/{name}.copy")
    digest = hashlib.sha256()
    with conn.cursor() as cur:
        query = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, table["columns"])))
        with cur.copy(query) as copy:
            while data := source.read(1 << 20):
                digest.update(data)
                copy.write(data)
    if digest.hexdigest() != table["sha256"]:
        raise ConfigurationError(f"table {name} in the backup is corrupt (SHA-256 differs from the manifest)")


def _reset_sequences(conn: psycopg.Connection) -> None:
    """Serial columns continue after the restored rows (the log's next position follows its last)."""
    for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND (column_default LIKE 'nextval(%%' OR is_identity = 'YES')").fetchall():
        conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(max({c}), 1), max({c}) IS NOT NULL)"
                             " FROM {t}").format(c=sql.Identifier(column), t=sql.Identifier(table)),
                     (table, column))


def _restore_files(settings: Settings, tar: tarfile.TarFile) -> None:
    members = [m for m in tar.getmembers() if m.name.startswith("files/") and (m.isfile() or m.isdir())]
    for member in members:
        target = (settings.data_dir / member.name.removeprefix("files/")).resolve()
        if settings.data_dir.resolve() not in target.parents:
            raise ConfigurationError(f"unsafe path in the backup: {member.name}")
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)


def _restore_keys(settings: Settings, tar: tarfile.TarFile) -> dict[str, Any]:
    """The backup's public keys become trusted keys of the restored store (the private key is not in it)."""
    trusted_dir = settings.data_dir / "ledger" / "trusted"
    keys = {}
    for member in tar.getmembers():
        if member.name.startswith("keys/") and member.name.endswith(".pem") and member.isfile():
            data = tar.extractfile(member).read()
            keys.update(keys_by_id([load_public_key(data)]))
            trusted_dir.mkdir(parents=True, exist_ok=True)
            (trusted_dir / Path(member.name).name).write_bytes(data)
    return keys


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    tar.addfile(info, io.BytesIO(data))
