"""Credentials (口令与动态口令): the secrets of each account, kept out of the event log.

One row per account in `user_credentials` (migration 0012): the current argon2 hash, whether the
password must be changed at the next login (after an admin's reset), the TOTP secret (RFC 6238, pyotp)
and the argon2 hashes of unused recovery codes. The log records only that a password was set, changed
or reset (domain/users.py); replacing a secret here forgets the old one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyotp
from psycopg import sql

from coordination import passwords

ISSUER = "协调机制台账"
RECOVERY_CODES = 10
TOTP_WINDOW = 1
"""Codes of the previous and next 30-second step are accepted too (clock drift of a phone)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password_hash: str
    must_change: bool = False
    totp_secret: str | None = None
    totp_pending: str | None = None
    totp_last_step: int = 0
    recovery_hashes: list[str] = field(default_factory=list)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None


class CredentialStore:
    """The `user_credentials` table, through the ledger's own connection pool."""

    def __init__(self, datastore: Any):
        self.datastore = datastore
        self.table = sql.Identifier(datastore.schema, "user_credentials")

    def _run(self, query: str, params: tuple, *, fetch: bool = False) -> Any:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql.SQL(query).format(table=self.table), params)
            return curs.fetchone() if fetch else None

    def get(self, username: str) -> Credentials | None:
        row = self._run("SELECT username, password_hash, must_change, totp_secret, totp_pending, totp_last_step,"
                        " recovery_hashes FROM {table} WHERE username = %s", (username,), fetch=True)
        return Credentials(**row) if row else None

    def set_password(self, username: str, password_hash: str, *, must_change: bool, at: datetime) -> None:
        self._run("INSERT INTO {table} (username, password_hash, must_change, changed_at) VALUES (%s, %s, %s, %s)"
                  " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,"
                  " must_change = excluded.must_change, changed_at = excluded.changed_at",
                  (username, password_hash, must_change, at))

    def begin_totp(self, username: str) -> str:
        """A new secret to enrol; the current one (if any) keeps working until the new one is confirmed."""
        secret = pyotp.random_base32()
        self._run("UPDATE {table} SET totp_pending = %s WHERE username = %s", (secret, username))
        return secret

    def confirm_totp(self, username: str, code: str, at: datetime) -> list[str] | None:
        """Confirm the pending secret with a code from the app: new recovery codes (shown once), or None."""
        found = self.get(username)
        if found is None or found.totp_pending is None or _step(found.totp_pending, code, at) is None:
            return None
        codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODES)]
        hashes = [passwords.hash_secret(c) for c in codes]
        self._run("UPDATE {table} SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = %s,"
                  " recovery_hashes = %s WHERE username = %s", (_step(found.totp_pending, code, at), hashes, username))
        return codes

    def remove_second_factor(self, username: str) -> None:
        self._run("UPDATE {table} SET totp_secret = NULL, totp_pending = NULL, recovery_hashes = '{{}}'"
                  " WHERE username = %s", (username,))

    def check_second_factor(self, found: Credentials, *, otp: str | None, recovery_code: str | None,
                            at: datetime) -> bool:
        """A TOTP code not used before, or an unused recovery code (which is then spent)."""
        if found.totp_secret is None:
            return False
        if otp:
            step = _step(found.totp_secret, otp, at)
            if step is None or step <= found.totp_last_step:
                return False
            with self.datastore.transaction(commit=True) as curs:  # a code works once, even in a race
                curs.execute(sql.SQL("UPDATE {table} SET totp_last_step = %s WHERE username = %s"
                                     " AND totp_last_step < %s").format(table=self.table), (step, found.username, step))
                return curs.rowcount == 1
        if recovery_code:
            for hashed in found.recovery_hashes:
                if passwords.verify_password(hashed, recovery_code.strip().lower()):
                    with self.datastore.transaction(commit=True) as curs:
                        curs.execute(sql.SQL("UPDATE {table} SET recovery_hashes = array_remove(recovery_hashes, %s)"
                                             " WHERE username = %s AND %s = ANY(recovery_hashes)")
                                     .format(table=self.table), (hashed, found.username, hashed))
                        return curs.rowcount == 1
        return False


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _step(secret: str, code: str, at: datetime) -> int | None:
    """The 30-second step whose code this is (within the window), or None."""
    if not isinstance(code, str) or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(at.timestamp()) // totp.interval
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None
