"""Delivering notifications (消息推送): a DingTalk-style robot webhook and e-mail, through an outbox.

Each unit's settings (`notification_settings`, written by `save_settings`; never in the event log) say
where its notifications go. The worker calls `Deliverer.run_due(conn)`: it turns new notifications into
outbox rows — one per (notification, channel), the primary key, so a row is made once — and sends the
rows that are due. A row is marked `sending` (attempt counted, next attempt scheduled) and committed
*before* the send, and `delivered` after it; a delivered row is never selected again. A send that fails
is retried with exponential back-off; after `max_attempts` the row is `failed` and the office sees it.
A worker killed between the two marks leaves the row `sending`: it is sent again when its next attempt
falls due (at least once for that row) — with the same e-mail Message-ID and the same notification id
in the robot request's header, so a receiver that keeps them can drop the repeat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row

from coordination.config import SmtpSettings
from domain.errors import InvalidValue

log = structlog.get_logger(__name__)
KIND_LABELS = {"assigned": "交办", "urged": "催办", "deadline_near": "临期提醒", "overdue": "逾期", "decision": "审批",
               "minutes_issued": "会议纪要", "returned": "退回", "test": "测试"}
MAX_EMAILS = 10


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk custom robot 加签: urlencode(base64(HmacSHA256(key=secret, f"{timestamp}\\n{secret}")))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def redacted(url: str) -> str:
    """A robot's address without its query (the access token is a secret too)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# --- settings -------------------------------------------------------------------------------------------


def checked_settings(webhook_url: Any, webhook_secret: Any, emails: Any) -> dict[str, Any]:
    if webhook_url is not None:
        parts = urllib.parse.urlsplit(str(webhook_url))
        if parts.scheme not in ("http", "https") or not parts.netloc or len(webhook_url) > 1000:
            raise InvalidValue("webhook_url", "an http(s) address of at most 1000 characters")
    if webhook_secret is not None and not (isinstance(webhook_secret, str) and 1 <= len(webhook_secret) <= 200):
        raise InvalidValue("webhook_secret", "1–200 characters")
    emails = list(emails or [])
    if len(emails) > MAX_EMAILS:
        raise InvalidValue("emails", f"at most {MAX_EMAILS} addresses")
    for i, address in enumerate(emails):
        if not isinstance(address, str) or len(address) > 254 or address.count("@") != 1 or any(
                c.isspace() or c in "<>,;\"" for c in address) or not all(address.split("@")):
            raise InvalidValue(f"emails.{i}", "an e-mail address")
    return {"webhook_url": webhook_url, "webhook_secret": webhook_secret, "emails": emails}


def save_settings(conn: psycopg.Connection, unit: str, settings: dict[str, Any], username: str, at: datetime) -> None:
    """Store a unit's delivery settings (the secret stays here, never in the log)."""
    conn.execute(
        "INSERT INTO notification_settings (unit, webhook_url, webhook_secret, emails, since, updated_at, updated_by)"
        " VALUES (%(unit)s, %(webhook_url)s, %(webhook_secret)s, %(emails)s, %(at)s, %(at)s, %(by)s)"
        " ON CONFLICT (unit) DO UPDATE SET webhook_url = EXCLUDED.webhook_url, webhook_secret ="
        " EXCLUDED.webhook_secret, emails = EXCLUDED.emails, updated_at = EXCLUDED.updated_at,"
        " updated_by = EXCLUDED.updated_by", {**settings, "unit": unit, "at": at, "by": username})


def settings_of(conn: psycopg.Connection, unit: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM notification_settings WHERE unit = %s", (unit,)).fetchone()


# --- sending ----------------------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """The receiver did not take the message; the message says why."""


@dataclass
class Sender:
    smtp: SmtpSettings | None = None
    timeout: float = 10.0
    wall_clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    """DingTalk checks the timestamp against real time (±1 h): never the service clock."""

    def webhook(self, url: str, secret: str | None, text: str, message_id: str) -> None:
        body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(signed_url(url, secret, self.wall_clock_ms()), data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8",
                                                  "X-Notification-Id": message_id})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryFailed(f"webhook: {exc}") from exc
        try:
            errcode = json.loads(answer or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            errcode = 0  # a plain 2xx from a receiver that is not DingTalk
        if errcode != 0:
            raise DeliveryFailed(f"webhook: errcode {errcode}: {answer[:200]!r}")

    def email(self, to: list[str], subject: str, text: str, message_id: str) -> None:
        if self.smtp is None:
            raise DeliveryFailed("e-mail: no SMTP server is configured (COORDINATION_SMTP_HOST)")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.smtp.sender, ", ".join(to), subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = f"<{message_id}@coordination-ledger>"
        message.set_content(text)
        try:
            if self.smtp.tls == "ssl":
                client = smtplib.SMTP_SSL(self.smtp.host, self.smtp.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.timeout)
            with client:
                if self.smtp.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.smtp.username:
                    client.login(self.smtp.username, self.smtp.password or "")
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"e-mail: {exc}") from exc


class Deliverer:
    """The outbox: make delivery rows for new notifications, send the due ones, record each outcome."""

    def __init__(self, sender: Sender, *, max_attempts: int = 8, base_delay_seconds: float = 30.0,
                 max_delay_seconds: float = 3600.0, batch: int = 20):
        self.sender = sender
        self.max_attempts = max_attempts
        self.base_delay = base_delay_seconds
        self.max_delay = max_delay_seconds
        self.batch = batch

    def run_due(self, conn: psycopg.Connection) -> int:
        self.enqueue(conn)
        return self.send_due(conn)

    def enqueue(self, conn: psycopg.Connection) -> int:
        """Outbox rows for new notifications, to the channels their unit had set when they were made."""
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT n.id, s.webhook_url, s.emails, (s.unit IS NOT NULL AND n.at >= s.since) AS wanted"
                " FROM notifications n LEFT JOIN notification_settings s ON s.unit = n.recipient"
                " WHERE NOT n.enqueued ORDER BY n.at LIMIT 1000 FOR UPDATE OF n SKIP LOCKED").fetchall()
            made = []
            for r in rows:
                if r["wanted"] and r["webhook_url"]:
                    made.append((r["id"], "webhook", redacted(r["webhook_url"])))
                if r["wanted"] and r["emails"]:
                    made.append((r["id"], "email", ", ".join(r["emails"])))
            cur.executemany("INSERT INTO notification_deliveries (notification_id, channel, target)"
                            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", made)
            cur.execute("UPDATE notifications SET enqueued = true WHERE id = ANY(%s)", ([r["id"] for r in rows],))
        return len(made)

    def send_due(self, conn: psycopg.Connection) -> int:
        """Send each due row once: claimed (marked `sending`) and committed before the send."""
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            due = cur.execute(
                "SELECT d.notification_id, d.channel, d.attempts, n.kind, n.text, s.webhook_url, s.webhook_secret,"
                "       s.emails"
                " FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id"
                " LEFT JOIN notification_settings s ON s.unit = n.recipient"
                " WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= now()"
                " ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE OF d SKIP LOCKED", (self.batch,)).fetchall()
            for row in due:
                # Should this process die while sending, the row is tried again after the back-off.
                cur.execute("UPDATE notification_deliveries SET status = 'sending', attempts = attempts + 1,"
                            " sending_since = now(), next_attempt_at = now() + %s * interval '1 second'"
                            " WHERE notification_id = %s AND channel = %s",
                            (self.delay(row["attempts"] + 1), row["notification_id"], row["channel"]))
        delivered = 0
        for row in due:
            delivered += self.send_one(conn, row)
        return delivered

    def send_one(self, conn: psycopg.Connection, row: dict[str, Any]) -> bool:
        key = (row["notification_id"], row["channel"])
        message_id = f"{row['notification_id']}.{row['channel']}"
        try:
            if row["channel"] == "webhook":
                if not row["webhook_url"]:
                    raise DeliveryFailed("webhook: the unit no longer has a robot address")
                self.sender.webhook(row["webhook_url"], row["webhook_secret"], row["text"], message_id)
            else:
                if not row["emails"]:
                    raise DeliveryFailed("e-mail: the unit no longer has addresses")
                self.sender.email(list(row["emails"]), f"【协调机制台账】{KIND_LABELS.get(row['kind'], '通知')}",
                                  row["text"], message_id)
        except DeliveryFailed as exc:
            attempts = row["attempts"] + 1
            final = attempts >= self.max_attempts
            conn.execute("UPDATE notification_deliveries SET status = %s, last_error = %s,"
                         " next_attempt_at = now() + %s * interval '1 second'"
                         " WHERE notification_id = %s AND channel = %s AND status = 'sending'",
                         ("failed" if final else "pending", str(exc)[:1000], self.delay(attempts), *key))
            log.warning("notification.delivery_failed", channel=row["channel"], attempts=attempts, final=final,
                        error=str(exc)[:300])
            return False
        conn.execute("UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL"
                     " WHERE notification_id = %s AND channel = %s", key)
        log.info("notification.delivered", channel=row["channel"], notification=str(row["notification_id"]))
        return True

    def delay(self, attempts: int) -> float:
        return min(self.base_delay * 2 ** max(attempts - 1, 0), self.max_delay)


def deliveries(conn: psycopg.Connection, *, failed: bool | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The outbox as the office sees it (failed ones: those that stopped retrying)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT d.notification_id, d.channel, d.target, d.status, d.attempts, d.last_error, d.delivered_at,"
            "       d.next_attempt_at, n.recipient, n.kind, n.at FROM notification_deliveries d"
            " JOIN notifications n ON n.id = d.notification_id"
            " WHERE %s::boolean IS NULL OR (d.status = 'failed') = %s ORDER BY n.at DESC LIMIT %s",
            (failed, failed, limit)).fetchall()
    return [{"notification_id": str(r["notification_id"]), "unit": r["recipient"], "kind": r["kind"],
             "channel": r["channel"], "target": r["target"], "status": r["status"], "attempts": r["attempts"],
             "last_error": r["last_error"], "at": r["at"].isoformat(),
             "delivered_at": r["delivered_at"].isoformat() if r["delivered_at"] else None,
             "next_attempt_at": r["next_attempt_at"].isoformat() if r["status"] != "delivered" else None}
            for r in rows]
