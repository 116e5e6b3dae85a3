"""Sending notifications from the worker's process: the delivery loop, and `coordination notify-test UNIT`.

Delivery runs in a thread of its own beside the projection worker, on its own connection, so a slow
robot or mail server never holds up the views.
"""

from __future__ import annotations

import threading
import uuid

import psycopg
import structlog

from coordination.config import Settings
from coordination.delivery import Deliverer, DeliveryFailed, Sender, settings_of

log = structlog.get_logger(__name__)


def delivery_loop(settings: Settings, url: str, schema: str | None, stop: threading.Event,
                  poll_seconds: float = 2.0) -> None:
    """Until `stop`: make outbox rows and send the due ones; reconnect with back-off on a database error."""
    deliverer = Deliverer(Sender(smtp=settings.smtp))
    options = {"options": f"-c search_path={schema}"} if schema else {}
    conn = None
    delay = poll_seconds
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(url, autocommit=True, connect_timeout=5, **options)
            deliverer.run_due(conn)
            delay = poll_seconds
        except psycopg.Error as exc:
            log.error("notification.delivery_loop_error", error=str(exc)[:300], retry_in=delay)
            if conn is not None:
                conn.close()
            conn = None
            delay = min(delay * 2, 60.0)
        stop.wait(delay)
    if conn is not None:
        conn.close()


def notify_test(settings: Settings, url: str, schema: str | None, unit: str) -> list[tuple[str, str | None]]:
    """Send one test message to each channel the unit has set: [(channel, error or None)]."""
    options = {"options": f"-c search_path={schema}"} if schema else {}
    with psycopg.connect(url, autocommit=True, connect_timeout=5, **options) as conn:
        stored = settings_of(conn, unit)
    if stored is None or not (stored["webhook_url"] or stored["emails"]):
        return []
    sender = Sender(smtp=settings.smtp)
    text = f"【测试】协调机制台账消息推送测试:{unit} 的通知将发送到此处。"
    results: list[tuple[str, str | None]] = []
    message_id = f"test-{uuid.uuid4()}"
    if stored["webhook_url"]:
        try:
            sender.webhook(stored["webhook_url"], stored["webhook_secret"], text, message_id)
            results.append(("webhook", None))
        except DeliveryFailed as exc:
            results.append(("webhook", str(exc)))
    if stored["emails"]:
        try:
            sender.email(list(stored["emails"]), "【协调机制台账】测试", text, message_id)
            results.append(("email", None))
        except DeliveryFailed as exc:
            results.append(("email", str(exc)))
    return results
