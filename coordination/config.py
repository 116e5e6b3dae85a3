"""The one configuration object, read from the environment (DATABASE_URL, COORDINATION_* ...)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


MIB = 1024 * 1024
DEFAULT_UPLOAD_LIMIT_MB = 50


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    tls: str = "starttls"
    """none, starttls (upgrade after connecting) or ssl (TLS from the first byte, usually port 465)."""
    sender: str = "coordination-ledger@localhost"
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, env) -> SmtpSettings | None:
        if not env.get("COORDINATION_SMTP_HOST"):
            return None
        tls = (env.get("COORDINATION_SMTP_TLS") or "starttls").lower()
        if tls not in ("none", "starttls", "ssl"):
            raise ConfigurationError(f"COORDINATION_SMTP_TLS={tls!r} must be none, starttls or ssl")
        return cls(host=env["COORDINATION_SMTP_HOST"],
                   port=_parse_int("COORDINATION_SMTP_PORT", env.get("COORDINATION_SMTP_PORT"))
                   or (465 if tls == "ssl" else 25 if tls == "none" else 587),
                   tls=tls, sender=env.get("COORDINATION_SMTP_SENDER") or cls.sender,
                   username=env.get("COORDINATION_SMTP_USER") or None,
                   password=env.get("COORDINATION_SMTP_PASSWORD") or None)


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    schema: str | None
    data_dir: Path
    clock_start: datetime | None
    clock_offset_ms: int | None
    secret_key: str | None
    projection_batch: int = 500
    """Events per view transaction (COORDINATION_PROJECTION_BATCH): smaller means shorter transactions."""
    ledger_hash: str = "sha256"
    """The hash chain's algorithm (COORDINATION_LEDGER_HASH): sha256, or sm3 for 国密 deployments."""
    ledger_key_file: Path | None = None
    """The office's Ed25519 signing key (COORDINATION_LEDGER_KEY); default: <data dir>/ledger/signing_key.pem."""
    smtp: SmtpSettings | None = None
    """E-mail for notifications (COORDINATION_SMTP_HOST ...); None: no e-mail is sent."""
    require_2fa: bool = True
    """COORDINATION_REQUIRE_2FA (on by default): office, supervisor and admin accounts need a second factor."""
    trusted_proxies: int = 0
    """COORDINATION_TRUSTED_PROXIES: how many proxies in front set X-Forwarded-For (0: the header is ignored)."""
    upload_limit_bytes: int = DEFAULT_UPLOAD_LIMIT_MB * MIB
    """COORDINATION_UPLOAD_LIMIT_MB (default 50): the largest evidence file accepted (larger → 413)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            schema=_parse_schema(env.get("COORDINATION_SCHEMA")),
            data_dir=Path(env.get("COORDINATION_DATA_DIR") or "./var").resolve(),
            clock_start=_parse_instant("COORDINATION_CLOCK_START", env.get("COORDINATION_CLOCK_START")),
            clock_offset_ms=_parse_int("COORDINATION_CLOCK_OFFSET_MS", env.get("COORDINATION_CLOCK_OFFSET_MS")),
            secret_key=env.get("SECRET_KEY") or None,
            projection_batch=_parse_int("COORDINATION_PROJECTION_BATCH", env.get("COORDINATION_PROJECTION_BATCH")) or 500,
            ledger_hash=_parse_hash(env.get("COORDINATION_LEDGER_HASH")),
            ledger_key_file=Path(env["COORDINATION_LEDGER_KEY"]).resolve() if env.get("COORDINATION_LEDGER_KEY") else None,
            smtp=SmtpSettings.from_env(env),
            require_2fa=_parse_switch("COORDINATION_REQUIRE_2FA", env.get("COORDINATION_REQUIRE_2FA"), default=True),
            trusted_proxies=_parse_int("COORDINATION_TRUSTED_PROXIES", env.get("COORDINATION_TRUSTED_PROXIES")) or 0,
            upload_limit_bytes=_parse_upload_limit(env.get("COORDINATION_UPLOAD_LIMIT_MB")),
        )


def _parse_instant(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not an ISO 8601 instant, e.g. 2026-03-02T09:00:00+08:00") from None
    if instant.tzinfo is None:
        raise ConfigurationError(f"{name}={value!r} needs a UTC offset, e.g. 2026-03-02T09:00:00+08:00")
    return instant


def _parse_schema(value: str | None) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise ConfigurationError(f"COORDINATION_SCHEMA={value!r} must be a lowercase PostgreSQL identifier")
    return value


def _parse_int(name: str, value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number") from None


def _parse_upload_limit(value: str | None) -> int:
    megabytes = _parse_int("COORDINATION_UPLOAD_LIMIT_MB", value)
    if megabytes is None:
        return DEFAULT_UPLOAD_LIMIT_MB * MIB
    if not 1 <= megabytes <= 1024:
        raise ConfigurationError(f"COORDINATION_UPLOAD_LIMIT_MB={value!r} must be from 1 to 1024 (MiB)")
    return megabytes * MIB


def _parse_switch(name: str, value: str | None, *, default: bool) -> bool:
    if not value:
        return default
    if value.lower() in ("on", "1", "yes", "true"):
        return True
    if value.lower() in ("off", "0", "no", "false"):
        return False
    raise ConfigurationError(f"{name}={value!r} must be on or off")


def _parse_hash(value: str | None) -> str:
    import hashlib

    algorithm = (value or "sha256").lower()
    if algorithm not in ("sha256", "sm3"):
        raise ConfigurationError(f"COORDINATION_LEDGER_HASH={value!r} must be sha256 or sm3")
    if algorithm not in hashlib.algorithms_available:
        raise ConfigurationError("COORDINATION_LEDGER_HASH=sm3, but this Python's OpenSSL has no SM3")
    return algorithm
