"""Bearer tokens for the API: issued for a username and password, expiring, revocable.

Only a SHA-256 of a token is stored. Each API request names its actor through its token; the
ledger then decides what that actor may do. A token also remembers the newest log position its
holder wrote, so that the holder's next read waits (bounded) until the views show that write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import marshmallow as ma
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from coordination import security_audit
from coordination.errors import AuthenticationFailed, SecondFactorRequired
from coordination.recorder import READER, Reader
from domain import values
from domain.actors import Actor
from domain.errors import AccountDisabled, NotFound
from domain.users import User
from web.runtime import ledger, pool
from web.schemas import TextRule

TOKEN_LIFETIME = timedelta(hours=8)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录令牌 / bearer tokens")


class Credentials(ma.Schema):
    username = ma.fields.String(required=True, validate=TextRule(40))
    password = ma.fields.String(required=True, load_only=True, validate=TextRule(256))
    otp = ma.fields.String(load_only=True, validate=ma.validate.Regexp(r"^[0-9]{6}$", error="6 digits"),
                           metadata={"description": "TOTP code (office, supervisor and admin accounts)"})
    recovery_code = ma.fields.String(load_only=True, validate=TextRule(40),
                                     metadata={"description": "a one-time recovery code instead of the TOTP code"})


class UserOut(ma.Schema):
    username = ma.fields.String()
    unit = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


class TokenOut(ma.Schema):
    token = ma.fields.String()
    expires_at = ma.fields.AwareDateTime()
    user = ma.fields.Nested(UserOut)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(Credentials)
    @blp.response(201, TokenOut)
    def post(self, credentials):
        """Issue a bearer token for a username and password (failures are throttled)."""
        actor = checked_login(credentials["username"], credentials["password"], otp=credentials.get("otp"),
                              recovery_code=credentials.get("recovery_code"))
        token = secrets.token_urlsafe(32)
        now = ledger().clock.now()
        expires_at = now + TOKEN_LIFETIME
        with pool().connection() as conn:
            conn.execute("INSERT INTO api_tokens (token_sha256, username, issued_at, expires_at) VALUES (%s, %s, %s, %s)",
                         (_digest(token), actor.username, now, expires_at))
            security_audit.record(conn, at=now, kind="token_created", username=actor.username,
                                  address=request.remote_addr, expires_at=expires_at)
        return {"token": token, "expires_at": expires_at,
                "user": {"username": actor.username, "unit": actor.unit, "roles": sorted(actor.roles)}}

    @blp.response(204)
    def delete(self):
        """Revoke the token this request carries."""
        authenticate()
        with pool().connection() as conn:
            conn.execute("UPDATE api_tokens SET revoked_at = %s WHERE token_sha256 = %s AND revoked_at IS NULL",
                         (ledger().clock.now(), g.token_digest))
            security_audit.record(conn, at=ledger().clock.now(), kind="token_revoked", username=g.actor.username,
                                  address=request.remote_addr)


class TooManyFailures(Exception):
    """Too many failed logins for this account or address: wait before trying again (429)."""


def checked_login(username: str, password: str, *, otp: str | None = None, recovery_code: str | None = None,
                  channel: str = "api") -> Actor:
    """The actor for these credentials, unless recent failures for the account or address say wait.

    A wrong password and a wrong second factor count alike. The address is the client's as ProxyFix
    found it (COORDINATION_TRUSTED_PROXIES). Every outcome goes to the security audit trail.
    """
    now = ledger().clock.now()
    address = request.remote_addr or "-"
    keys = [f"user:{username}", f"addr:{address}"]
    with pool().connection() as conn:
        counts = dict(conn.execute(
            "SELECT key, count(*) FROM login_failures WHERE key = ANY(%s) AND at > %s GROUP BY key",
            (keys, now - THROTTLE_WINDOW)).fetchall())
        if counts.get(keys[0], 0) >= MAX_FAILURES_PER_ACCOUNT or counts.get(keys[1], 0) >= MAX_FAILURES_PER_ADDRESS:
            security_audit.record(conn, at=now, kind="locked_out", username=username, address=address, channel=channel)
            raise TooManyFailures()
    try:
        actor = ledger().authenticate(username, password, otp=otp, recovery_code=recovery_code,
                                      require_second_factor=current_app.extensions["settings"].require_2fa)
    except SecondFactorRequired:
        raise  # the password was right: not a failure
    except AuthenticationFailed as failure:
        kind = "second_factor_failed" if "second factor" in failure.message else "login_failed"
        with pool().connection() as conn:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO login_failures (key, at) VALUES (%s, %s)", [(k, now) for k in keys])
            security_audit.record(conn, at=now, kind=kind, username=username, address=address, channel=channel)
        raise
    with pool().connection() as conn:
        security_audit.record(conn, at=now, kind="login_succeeded", username=actor.username, address=address,
                              channel=channel)
    return actor


def authenticate() -> Actor:
    """The actor of this request, from its bearer token; AuthenticationFailed (401) otherwise.

    Every API request but signing in passes here first (web/guards.py); a second call in the same request
    returns the same actor.
    """
    if g.get("actor") is not None and g.get("token_digest") is not None:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send Authorization: Bearer <token> (POST /api/v1/auth/token issues one)")
    digest = _digest(token.strip())
    username = _token_users.get(digest)
    with pool().connection() as conn:
        # One round trip: the token, and the newest version of its user's account (known after the first request).
        row = conn.execute("SELECT username, expires_at, revoked_at, last_position, (SELECT max(originator_version)"
                           f" FROM {_events_table()} WHERE originator_id = %s) FROM api_tokens WHERE token_sha256 = %s",
                           (User.create_id(username) if username else None, digest), prepare=True).fetchone()
    if row is None or row[2] is not None or row[1] <= ledger().clock.now():
        raise AuthenticationFailed("the token is unknown, expired or revoked")
    known = _users.get(row[0])
    if username == row[0] and known is not None and known[0] == row[4]:
        actor, disabled = known[1], known[2]  # the account has not changed since this process last loaded it
    else:
        try:
            user = ledger().user(row[0])
        except NotFound:
            raise AuthenticationFailed("the token's user no longer exists") from None
        actor, disabled = user.as_actor(), user.disabled
        if len(_users) > MAX_REMEMBERED or len(_token_users) > MAX_REMEMBERED:
            _users.clear(), _token_users.clear()
        _users[row[0]], _token_users[digest] = (user.version, actor, disabled), row[0]
    if disabled:
        raise AccountDisabled("this account is disabled")
    g.actor = actor
    g.token_digest = digest
    g.last_position = row[3]
    READER.set(Reader(digest))  # a command of this request advances the token's position as it commits
    return g.actor


MAX_REMEMBERED = 50_000
_token_users: dict[str, str] = {}
"""Per process: the username of each token seen (a token never changes hands)."""
_users: dict[str, tuple[int, Actor, bool]] = {}
"""Per process: each account as last loaded — (version, actor, disabled) — used while its version is the newest."""


def _events_table() -> str:
    return f"{ledger().name.lower()}_events"


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header (API.md, Idempotency), if any; checked like any text."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        values.text("Idempotency-Key", key, max_length=values.KEY)
    return key


def remember_position(position: int) -> None:
    """After a command: the holder's next reads wait for the views to reach `position`.

    A command this request saved has already advanced the token's position in its own transaction
    (coordination.recorder.READER); only a replayed answer still needs the update here.
    """
    g.last_position = max(getattr(g, "last_position", 0), position)
    reader = READER.get()
    if reader is not None and reader.token_sha256 == g.get("token_digest") and reader.written >= position:
        return
    with pool().connection() as conn:
        conn.execute("UPDATE api_tokens SET last_position = greatest(last_position, %s) WHERE token_sha256 = %s",
                     (position, g.token_digest))

