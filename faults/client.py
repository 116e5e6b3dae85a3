"""An HTTP client for 127.0.0.1 that sends one command until it is answered, with one Idempotency-Key.

Every attempt is recorded (status or error, duration). Retry rule: a connection error, a timeout or any
5xx is retried — the SAME request with the SAME key — with bounded, jittered back-off, for at most
`give_up_after` seconds; after that the command counts as unacknowledged. (503 is the answer the contract
promises while the database is away; a 500/502/504 is a property violation, but retrying it with the same
key is safe, so the exactly-once proof still learns what became of the command.) Any other answer is
final: 2xx acknowledged, 4xx refused (409: the state does not allow it — the caller moves on).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

REQUEST_TIMEOUT = 20.0
"""Socket timeout per attempt; an attempt longer than the proof's hang limit (15 s) is reported."""


@dataclass
class Attempt:
    at: float  # when the attempt started, in seconds since the run started
    status: str  # "201", "503", "timeout", "error:ConnectionRefusedError", ...
    seconds: float


@dataclass
class Command:
    """One command as a client saw it."""

    client: str
    kind: str  # "progress", "urge", "acknowledge", "assign", "probe"
    method: str
    path: str
    body: dict[str, Any] | None
    key: str
    marker: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    final: str = ""  # the last status, or "unacknowledged" when the client gave up
    response: Any = None

    @property
    def acknowledged(self) -> bool:
        return self.final.startswith("2")

    @property
    def statuses(self) -> list[str]:
        return [a.status for a in self.attempts]

    @property
    def ambiguous(self) -> bool:
        """Some attempt may have committed without the client learning it (no answer, or a 5xx)."""
        return any(not s[0].isdigit() or s.startswith("5") for s in self.statuses)

    def to_json(self) -> dict[str, Any]:
        return {"client": self.client, "kind": self.kind, "path": self.path, "key": self.key, "marker": self.marker,
                "final": self.final, "attempts": [[round(a.at, 3), a.status, round(a.seconds, 3)] for a in self.attempts]}


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


class Http:
    def __init__(self, port: int, started: float, host: str = "127.0.0.1"):
        assert host in ("127.0.0.1", "localhost"), "traffic only to this machine"
        self.host = host
        self.port = port
        self.started = started

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = REQUEST_TIMEOUT) -> Response:
        """One attempt; raises OSError / http.client.HTTPException / socket.timeout on transport failure."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
            all_headers = {"Accept": "application/json", "Connection": "close", **(headers or {})}
            if payload is not None:
                all_headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=all_headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode("utf-8", "replace")[:500]
            return Response(resp.status, data, {k.lower(): v for k, v in resp.getheaders()})
        finally:
            conn.close()

    def now(self) -> float:
        return time.monotonic() - self.started


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    return f"error:{type(exc).__name__}"


class Session:
    """A logged-in user of the API (bearer token), sending commands with retries."""

    def __init__(self, http: Http, username: str, password: str, stop: threading.Event, *,
                 give_up_after: float = 60.0, max_backoff: float = 4.0):
        self.http = http
        self.username = username
        self.password = password
        self.stop = stop
        self.give_up_after = give_up_after
        self.max_backoff = max_backoff
        self.token: str | None = None
        self.on_read = None
        """Called with each read (a Command of kind "read", method GET) once it is over: the proofs see reads too."""

    def login(self, deadline_seconds: float = 60.0) -> None:
        deadline = time.monotonic() + deadline_seconds
        while True:
            try:
                r = self.http.request("POST", "/api/v1/auth/token", {"username": self.username, "password": self.password})
                if r.status == 201:
                    self.token = r.body["token"]
                    return
                if r.status < 500:
                    raise RuntimeError(f"login {self.username}: {r.status} {r.body}")
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"login {self.username}: no answer within {deadline_seconds} s")
            time.sleep(0.5 + random.random())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, *, deadline_seconds: float = 30.0) -> Response | None:
        """A read, retried on transport errors and 5xx; None when it never succeeded."""
        read = Command(client=self.username, kind="read", method="GET", path=path, body=None, key="")
        try:
            return self._get(read, path, deadline_seconds)
        finally:
            read.final = read.statuses[-1] if read.attempts else "not sent"
            if self.on_read is not None:
                self.on_read(read)

    def _get(self, read: Command, path: str, deadline_seconds: float) -> Response | None:
        deadline = time.monotonic() + deadline_seconds
        delay = 0.25
        relogins = 0
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                r = self.http.request("GET", path, headers=self.headers())
                status = str(r.status)
            except (OSError, http.client.HTTPException) as exc:
                r, status = None, describe_error(exc)
            read.attempts.append(Attempt(at=t0 - self.http.started, status=status, seconds=time.monotonic() - t0))
            if r is not None and r.status == 401 and relogins < 3:
                relogins += 1
                self.login()
                continue
            if r is not None and r.status < 500:
                return r
            if time.monotonic() > deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        return None

    def command(self, kind: str, path: str, body: dict[str, Any] | None, *, marker: str | None = None,
                key: str | None = None) -> Command:
        """Send one POST until it is answered (see the module's retry rule); every attempt is recorded."""
        cmd = Command(client=self.username, kind=kind, method="POST", path=path, body=body,
                      key=key or f"faults-{uuid.uuid4()}", marker=marker)
        first = time.monotonic()
        delay = 0.2
        relogins = 0
        while True:
            t0 = time.monotonic()
            try:
                r = self.http.request("POST", path, body, headers={**self.headers(), "Idempotency-Key": cmd.key})
                status = str(r.status)
                cmd.response = r.body
            except (OSError, http.client.HTTPException) as exc:
                r = None
                status = describe_error(exc)
            cmd.attempts.append(Attempt(at=t0 - self.http.started, status=status, seconds=time.monotonic() - t0))
            if r is not None and r.status == 401 and relogins < 3:
                relogins += 1  # a token the service forgot: log in again and repeat the same command
                try:
                    self.login()
                except RuntimeError:
                    pass
                continue
            if r is not None and r.status < 500:
                cmd.final = status
                return cmd
            if time.monotonic() - first > self.give_up_after:
                cmd.final = "unacknowledged"
                return cmd
            retry_after = None
            if r is not None and r.headers.get("retry-after", "").isdigit():
                retry_after = float(r.headers["retry-after"])
            wait = min(retry_after if retry_after is not None else delay, self.max_backoff)
            time.sleep(wait * (0.5 + random.random() / 2))
            delay = min(delay * 2, self.max_backoff)
