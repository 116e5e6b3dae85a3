"""Notifications (消息提醒): each unit's inbox, derived from the log exactly once, and the deadline checks.

From events (applied like every view: each batch commits with its tracking position): a task assigned
to the unit (lead or co), an urging, an extension or completion decision, a return (退回), minutes issued
(to every unit); the office's inbox gets what awaits its decision. From time (`check_deadlines`, run by
the worker on a schedule): a deadline 3 working days away, a task turned overdue. Every notification's id
is derived from what it notifies (the event's log position, or the task and its deadline), so inserting
it twice is impossible: `ON CONFLICT DO NOTHING` makes a repeated check, or a rebuild, a no-op. Read
marks live in a table of their own, so they survive a rebuild. Delivery to robots and e-mail is
`coordination.delivery`'s job, from the outbox rows it makes of these.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.application import Application
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import dict_row

from domain.charter import UNIT_CODES
from domain.deadlines import YELLOW_WORKING_DAYS, local_date, working_days_left
from domain.meetings import Meeting
from domain.standing import OPEN_STATUSES, URGING_LABELS, urging_level
from domain.tasks import Task
from projections.calendar import calendar_at
from projections.eventlog import LoggedEvent, topics_of
from projections.replay import Replayer
from projections.storable import storable_text

NOTIFICATIONS = uuid5(NAMESPACE_URL, "coordination-ledger:notifications")
OFFICE_INBOX = "office"
"""The office's inbox (协调组办公室): pending decisions. Other inboxes are unit codes."""
KINDS = ("assigned", "urged", "deadline_near", "overdue", "decision", "minutes_issued", "returned")
INSERT = ("INSERT INTO notifications (id, recipient, at, kind, task_id, meeting_id, text, position)"
          " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::text[], %s::uuid[], %s::uuid[],"
          " %s::text[], %s::bigint[]) ON CONFLICT (id) DO NOTHING")


def insert(conn: psycopg.Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert notification rows (id, recipient, at, kind, task_id, meeting_id, text, position) in one statement,
    each at most once; returns how many were new."""
    return conn.execute(INSERT, [list(column) for column in zip(*rows)]).rowcount


def notification_id(subject: str, kind: str, recipient: str) -> UUID:
    return uuid5(NOTIFICATIONS, f"{subject}:{kind}:{recipient}")


class Notifications:
    name = "notifications"
    tables = ("notifications",)
    topics = (*topics_of(Task), get_topic(Meeting.MinutesIssued))

    def carry_over(self, conn: psycopg.Connection, fresh: str, live: str) -> None:
        """What a rebuild keeps from the live table: the deadline checks' notifications (they come from
        time, not from the log) and which notifications were already put in the outbox."""
        fresh_table, live_table = sql.Identifier(fresh, "notifications"), sql.Identifier(live, "notifications")
        conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {} WHERE position IS NULL ON CONFLICT DO NOTHING")
                     .format(fresh_table, live_table))
        conn.execute(sql.SQL("UPDATE {} AS f SET enqueued = l.enqueued FROM {} AS l WHERE l.id = f.id")
                     .format(fresh_table, live_table))

    def __init__(self, ledger: Application):
        self.replayer = Replayer(ledger)

    def apply_batch(self, conn: psycopg.Connection, events: list[LoggedEvent]) -> None:
        rows = []
        for event in events:
            for recipient, kind, text in self.derive(event):
                task_id = event.aggregate_id if event.aggregate_type == "Task" else None
                meeting_id = event.aggregate_id if event.aggregate_type == "Meeting" else None
                rows.append((notification_id(f"position:{event.position}", kind, recipient), recipient, event.at,
                             kind, task_id, meeting_id, storable_text(text), event.position))
        if rows:
            insert(conn, rows)

    def derive(self, event: LoggedEvent) -> list[tuple[str, str, str]]:
        """(recipient, kind, text) for each inbox this event reaches."""
        if event.type == "Meeting.MinutesIssued":
            meeting = self.replayer.state_after(event)
            text = f"【会议纪要】{event.data['number']}《{meeting.title}》已印发,请查阅议定事项并抓好落实。"
            return [(unit, "minutes_issued", text) for unit in UNIT_CODES]
        if event.aggregate_type != "Task":
            return []
        task = self.replayer.state_after(event)
        title, data = f"《{task.title}》", event.data
        units = [task.lead_unit, *task.co_units]
        if event.type == "Task.Assigned":
            return [(unit, "assigned", f"【交办】您单位{'牵头' if unit == task.lead_unit else '配合'}的督办事项{title}"
                                       f"已交办,截止日期 {task.deadline.isoformat()},请及时签收。") for unit in units]
        if event.type == "Task.Reassigned":
            return [(unit, "assigned", f"【调整分工】督办事项{title}调整由您单位"
                                       f"{'牵头' if unit == task.lead_unit else '配合'}办理:{data['reason']}")
                    for unit in units]
        if event.type == "Task.Urged":
            level = urging_level(task.urgings)
            label = URGING_LABELS[level] if level else "催办"
            return [(unit, "urged", f"【{label}】督办事项{title}第{task.urgings}次催办:{data['message']}")
                    for unit in units]
        if event.type == "Task.ExtensionDecided":
            entry = task.extensions[data["request"] - 1]
            verdict = (f"已同意,截止日期调整为 {entry['new_deadline'].isoformat()}" if data["approved"]
                       else f"未同意:{data['comment']}")
            return [(task.lead_unit, "decision", f"【审批结果】督办事项{title}的延期申请{verdict}")]
        if event.type == "Task.CompletionDecided":
            if data["accepted"]:
                return [(unit, "decision", f"【审批结果】督办事项{title}已审核办结。") for unit in units]
            return [(task.lead_unit, "returned", f"【退回】督办事项{title}的办结申请被退回:{data['comment']}")]
        if event.type == "Task.ExtensionRequested":
            return [(OFFICE_INBOX, "decision", f"【待审批】{task.lead_unit} 申请将督办事项{title}延期至 "
                                               f"{data['new_deadline'].isoformat()}:{data['reason']}")]
        if event.type == "Task.CompletionRequested":
            return [(OFFICE_INBOX, "decision", f"【待审核】{task.lead_unit} 申请督办事项{title}办结,请审核。")]
        return []

    def discard(self) -> None:
        self.replayer.discard()


def check_deadlines(conn: psycopg.Connection, now: datetime) -> int:
    """临期与逾期提醒: notify each unit of an open task once per deadline when ≤ 3 working days remain,
    and once when it turns overdue. Returns how many notifications were new."""
    today = local_date(now)
    calendar = calendar_at(conn, now)
    with conn.cursor(row_factory=dict_row) as cur:
        tasks = cur.execute("SELECT task_id, title, lead_unit, co_units, effective_deadline FROM tasks_now"
                            " WHERE status = ANY(%s) AND effective_deadline <= %s",
                            (list(OPEN_STATUSES), today + timedelta(days=31))).fetchall()
    rows = []
    for t in tasks:
        deadline: date = t["effective_deadline"]
        subject = f"task:{t['task_id']}:{deadline.isoformat()}"
        if deadline < today:
            kind, text = "overdue", f"【逾期】督办事项《{t['title']}》已超过截止日期 {deadline.isoformat()},请尽快办结或说明情况。"
        else:
            left = working_days_left(today, deadline, stop_after=YELLOW_WORKING_DAYS,
                                     working_day=calendar.is_working_day)
            if left > YELLOW_WORKING_DAYS:
                continue
            kind, text = "deadline_near", (f"【临期提醒】督办事项《{t['title']}》将于 {deadline.isoformat()} 到期"
                                           f"(剩余 {left} 个工作日),请抓紧办理。")
        for unit in [t["lead_unit"], *t["co_units"]]:
            rows.append((notification_id(subject, kind, unit), unit, now, kind, t["task_id"], None,
                         storable_text(text), None))
    if not rows:
        return 0
    return insert(conn, rows)


class DeadlineCheck:
    """The worker's scheduled check (every `every_seconds` of real time), at the service clock's instant."""

    def __init__(self, clock: Any, every_seconds: float = 60.0):
        self.clock = clock
        self.every_seconds = every_seconds
        self.last_run: float | None = None

    def run_due(self, conn: psycopg.Connection) -> None:
        import time

        if self.clock is None or (self.last_run is not None and time.monotonic() - self.last_run < self.every_seconds):
            return
        check_deadlines(conn, self.clock.now())
        self.last_run = time.monotonic()


def inbox(conn: psycopg.Connection, recipients: list[str], *, unread: bool | None = None,
          limit: int = 200) -> list[dict[str, Any]]:
    """The notifications of the given inboxes, newest first: [{id, at, kind, task_id?, meeting_id?, text, read}]."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT n.id, n.at, n.kind, n.task_id, n.meeting_id, n.text, r.notification_id IS NOT NULL AS read"
            " FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id"
            " WHERE n.recipient = ANY(%s) AND (%s::boolean IS NULL OR (r.notification_id IS NULL) = %s)"
            " ORDER BY n.at DESC, n.id LIMIT %s", (recipients, unread, unread, limit)).fetchall()
    found = []
    for r in rows:
        item = {"id": str(r["id"]), "at": r["at"].isoformat(), "kind": r["kind"], "text": r["text"], "read": r["read"]}
        if r["task_id"] is not None:
            item["task_id"] = str(r["task_id"])
        if r["meeting_id"] is not None:
            item["meeting_id"] = str(r["meeting_id"])
        found.append(item)
    return found


def mark_read(conn: psycopg.Connection, notification_id_: str, recipients: list[str], username: str,
              at: datetime) -> bool:
    """Mark one notification of the given inboxes read; False when it is not theirs (or does not exist)."""
    row = conn.execute("SELECT 1 FROM notifications WHERE id = %s AND recipient = ANY(%s)",
                       (notification_id_, recipients)).fetchone()
    if row is None:
        return False
    conn.execute("INSERT INTO notification_reads (notification_id, username, read_at) VALUES (%s, %s, %s)"
                 " ON CONFLICT DO NOTHING", (notification_id_, username, at))
    return True
