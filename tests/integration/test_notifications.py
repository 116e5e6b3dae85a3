"""Notifications: derived from the log once per event, checked by time once per deadline, delivered once
per channel through the outbox (issue 13). Nothing leaves 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import Counter
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coordination.config import SmtpSettings
from coordination.delivery import Deliverer, Sender, deliveries, save_settings
from projections.notifications import check_deadlines, inbox
from projections.worker import all_views, rebuild
from tests.conftest import FINANCE, OFFICE, SUPERVISOR
from tests.integration.conftest import sync

pytestmark = pytest.mark.db
SECRET = "SEC0123456789abcdef"


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def kinds(conn):
    return Counter(conn.execute("SELECT recipient, kind FROM notifications").fetchall())


def assign(ledger, **kw):
    return ledger.assign_task(OFFICE, title="文化站改造", source={"kind": "plan", "reference": "方案"},
                              category="facilities", lead_unit="finance", co_units=["education"], **kw).result["id"]


def test_each_kind_of_notification_is_derived_once_per_event(runtime, conn, clock):
    ledger = runtime.ledger
    task = assign(ledger, deadline=date(2026, 6, 30))
    ledger.acknowledge(FINANCE, task)
    ledger.urge(SUPERVISOR, task, message="请加快进度")
    ledger.request_extension(FINANCE, task, new_deadline=date(2026, 7, 31), reason="等待批复")
    ledger.decide_extension(OFFICE, task, 1, approved=True, comment="同意")
    ledger.request_completion(FINANCE, task, summary="已完成")
    ledger.decide_completion(OFFICE, task, accepted=False, comment="缺少验收材料")
    meeting = ledger.schedule_meeting(OFFICE, kind="office", title="办公室成员工作会议", date=clock.now().date(),
                                      location="会议室", chair="主任").result["id"]
    ledger.record_attendance(OFFICE, meeting, present=["finance"], absent=[])
    ledger.draft_minutes(OFFICE, meeting, number="鹿文协纪〔2026〕3号", summary="纪要", items=[
        {"title": "保障", "text": "落实", "category": "funding", "outcome": "agreed"}])
    ledger.issue_minutes(OFFICE, meeting)
    sync(runtime, conn)
    sync(runtime, conn)  # a second pass applies nothing
    found = kinds(conn)
    assert found[("finance", "assigned")] == 1 and found[("education", "assigned")] == 1
    assert found[("finance", "urged")] == 1 and found[("education", "urged")] == 1
    assert found[("office", "decision")] == 2  # the extension request and the completion request
    assert found[("finance", "decision")] == 1 and found[("education", "decision")] == 0
    assert found[("finance", "returned")] == 1
    assert sum(n for (unit, kind), n in found.items() if kind == "minutes_issued") == 26
    texts = [n["text"] for n in inbox(conn, ["finance"])]
    assert any("延期申请已同意,截止日期调整为 2026-07-31" in t for t in texts)
    assert any("缺少验收材料" in t for t in texts)
    ids = conn.execute("SELECT id FROM notifications ORDER BY id").fetchall()

    # A rebuild derives the very same notifications (same ids), not new ones.
    notifications_view = next(v for v in all_views(ledger) if v.name == "notifications")
    rebuild(ledger, runtime.url, runtime.schema, notifications_view)
    assert conn.execute("SELECT id FROM notifications ORDER BY id").fetchall() == ids


def test_a_deadline_three_working_days_away_and_an_overdue_task_are_notified_once(runtime, conn, clock):
    ledger = runtime.ledger
    clock.set(shanghai("2026-09-24T10:00:00"))
    task = assign(ledger, deadline=date(2026, 10, 9))
    sync(runtime, conn)
    assert check_deadlines(conn, shanghai("2026-09-28T08:00:00")) == 0  # four working days left
    assert check_deadlines(conn, shanghai("2026-09-29T08:00:00")) == 2  # three: lead and co-unit
    assert check_deadlines(conn, shanghai("2026-09-30T08:00:00")) == 0  # already told
    assert check_deadlines(conn, shanghai("2026-10-10T00:00:00")) == 2  # overdue
    assert check_deadlines(conn, shanghai("2026-10-11T00:00:00")) == 0
    near = [n for n in inbox(conn, ["finance"]) if n["kind"] == "deadline_near"]
    assert len(near) == 1 and "剩余 3 个工作日" in near[0]["text"] and near[0]["task_id"] == task
    assert [n["kind"] for n in inbox(conn, ["education"])].count("overdue") == 1


# --- delivery ------------------------------------------------------------------------------------------


class Robot:
    """A DingTalk-style robot on 127.0.0.1 that refuses the first `failures` requests."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.received: list[dict] = []
        self.refused = 0
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if robot.refused < robot.failures:
                    robot.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                robot.received.append({"query": query, "body": json.loads(body), "id": self.headers["X-Notification-Id"]})
                answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=tok123"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    made = []

    def make(failures=0):
        made.append(Robot(failures))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    import socket

    handler = Handler()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        handler.port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def dingtalk_reference_sign(secret: str, timestamp: str) -> str:
    """DingTalk's published example (open.dingtalk.com, 自定义机器人安全设置 · 加签), written out independently."""
    secret_enc = secret.encode("utf-8")
    string_to_sign_enc = "{}\n{}".format(timestamp, secret).encode("utf-8")
    hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(hmac_code))


def wait_until(condition, deliverer, conn, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deliverer.run_due(conn)
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("not delivered in time")


def test_delivered_once_per_channel_through_failures_and_a_worker_restart_with_a_verifiable_signature(
        runtime, conn, clock, robot, mailbox):
    ledger = runtime.ledger
    receiver = robot(failures=2)
    save_settings(conn, "finance", {"webhook_url": receiver.url, "webhook_secret": SECRET,
                                    "emails": ["caizheng@lucheng.example"]}, "finance-liaison", clock.now())
    task = assign(ledger, deadline=date(2026, 6, 30))
    ledger.urge(OFFICE, task, message="请于本周内报送进展")
    sync(runtime, conn)
    smtp = SmtpSettings(host="127.0.0.1", port=mailbox.port, tls="none", sender="ledger@lucheng.example")
    sent_at = int(time.time() * 1000)
    first = Deliverer(Sender(smtp=smtp, wall_clock_ms=lambda: sent_at), base_delay_seconds=0.05)
    # Two notifications for finance (assigned, urged) × two channels; the robot refuses the first two attempts.
    wait_until(lambda: len(receiver.received) == 2 and len(mailbox.messages) == 2, first, conn)
    assert receiver.refused == 2

    # A new worker (a restart) and more rounds send nothing again.
    second = Deliverer(Sender(smtp=smtp), base_delay_seconds=0.05)
    for _ in range(5):
        second.run_due(conn)
        time.sleep(0.06)
    assert len(receiver.received) == 2 and len(mailbox.messages) == 2
    rows = deliveries(conn)
    assert Counter((r["channel"], r["status"]) for r in rows) == {("webhook", "delivered"): 2, ("email", "delivered"): 2}
    assert all(r["target"] == receiver.url.split("?")[0] for r in rows if r["channel"] == "webhook")

    # The signature verifies with DingTalk's own algorithm.
    message = receiver.received[0]
    assert message["query"]["access_token"] == ["tok123"]
    timestamp, sign = message["query"]["timestamp"][0], message["query"]["sign"][0]
    assert timestamp == str(sent_at)
    assert urllib.parse.quote_plus(sign) == dingtalk_reference_sign(SECRET, timestamp)
    assert message["body"]["msgtype"] == "text"
    assert {m["body"]["text"]["content"][:4] for m in receiver.received} == {"【交办】", "【催办】"}
    assert any("Message-ID: <" in content and "caizheng@lucheng.example" in rcpt[0] for rcpt, content in mailbox.messages)


def test_a_row_claimed_by_a_killed_worker_is_sent_again_but_a_delivered_one_never(runtime, conn, clock, robot):
    ledger = runtime.ledger
    receiver = robot()
    save_settings(conn, "finance", {"webhook_url": receiver.url, "webhook_secret": None, "emails": []},
                  "office1", clock.now())
    assign(ledger, deadline=date(2026, 6, 30))
    sync(runtime, conn)
    deliverer = Deliverer(Sender(), base_delay_seconds=0.05)
    deliverer.enqueue(conn)
    # The worker claims the row (committed as 'sending') and is killed -9 before it learns the outcome.
    conn.execute("UPDATE notification_deliveries SET status = 'sending', attempts = 1,"
                 " next_attempt_at = now() + interval '0.1 second'")
    time.sleep(0.15)
    wait_until(lambda: len(receiver.received) == 1, Deliverer(Sender(), base_delay_seconds=0.05), conn)
    for _ in range(3):
        deliverer.run_due(conn)
    assert len(receiver.received) == 1
    assert deliveries(conn)[0]["status"] == "delivered" and deliveries(conn)[0]["attempts"] == 2


def test_a_delivery_that_keeps_failing_is_shown_to_the_office_as_failed(runtime, conn, clock, robot):
    receiver = robot(failures=100)
    save_settings(conn, "finance", {"webhook_url": receiver.url, "webhook_secret": SECRET, "emails": []},
                  "office1", clock.now())
    assign(runtime.ledger, deadline=date(2026, 6, 30))
    sync(runtime, conn)
    deliverer = Deliverer(Sender(), base_delay_seconds=0.01, max_attempts=3)
    deadline = time.monotonic() + 10
    while not deliveries(conn, failed=True) and time.monotonic() < deadline:
        deliverer.run_due(conn)
        time.sleep(0.03)
    (failed,) = deliveries(conn, failed=True)
    assert failed["attempts"] == 3 and failed["unit"] == "finance" and "503" in failed["last_error"]
    assert receiver.refused == 3


def test_notifications_made_before_a_unit_set_its_channels_are_not_sent(runtime, conn, clock, robot):
    receiver = robot()
    assign(runtime.ledger, deadline=date(2026, 6, 30))
    sync(runtime, conn)
    clock.advance(timedelta(minutes=1))
    save_settings(conn, "finance", {"webhook_url": receiver.url, "webhook_secret": None, "emails": []},
                  "office1", clock.now())
    assert Deliverer(Sender()).run_due(conn) == 0 and receiver.received == []


def test_notify_test_sends_one_signed_message_to_the_units_robot(runtime, conn, clock, robot, monkeypatch, capsys):
    from entrypoints import cli

    receiver = robot()
    save_settings(conn, "finance", {"webhook_url": receiver.url, "webhook_secret": SECRET, "emails": []},
                  "office1", clock.now())
    monkeypatch.setenv("DATABASE_URL", runtime.url)
    monkeypatch.setenv("COORDINATION_SCHEMA", runtime.schema)
    assert cli.main(["notify-test", "finance"]) == 0
    assert "webhook: 已发送" in capsys.readouterr().out
    (message,) = receiver.received
    timestamp, sign = message["query"]["timestamp"][0], message["query"]["sign"][0]
    assert urllib.parse.quote_plus(sign) == dingtalk_reference_sign(SECRET, timestamp)
    assert message["body"]["text"]["content"].startswith("【测试】")
    assert cli.main(["notify-test", "education"]) == 1  # nothing set
