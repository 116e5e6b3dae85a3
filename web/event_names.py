"""Events in Chinese (事件名称): the one place that names each `Aggregate.Event` of the log for people, and says
in a short phrase what an event recorded. The audit log and the timelines of tasks and meetings use it."""

from __future__ import annotations

from typing import Any

EVENT_NAMES: dict[str, str] = {
    "Task.Assigned": "交办督办事项",
    "Task.Acknowledged": "签收",
    "Task.ProgressReported": "反馈进展",
    "Task.ExtensionRequested": "申请延期",
    "Task.ExtensionDecided": "审批延期申请",
    "Task.CompletionRequested": "申请办结",
    "Task.CompletionDecided": "审核办结申请",
    "Task.Urged": "催办",
    "Task.UrgingReplied": "催办回复",
    "Task.Commented": "督查意见",
    "Task.Reassigned": "调整分工",
    "Task.Cancelled": "撤销事项",
    "Meeting.Scheduled": "安排会议",
    "Meeting.AttendanceRecorded": "记录出席情况",
    "Meeting.MinutesDrafted": "起草会议纪要",
    "Meeting.MinutesIssued": "印发会议纪要",
    "Meeting.MinutesCorrected": "纪要勘误",
    "MinutesNumber.Reserved": "占用纪要编号",
    "Resolution.Adopted": "形成议定事项",
    "Topic.Proposed": "提出议题",
    "Topic.Accepted": "采纳议题",
    "Topic.Declined": "不予采纳议题",
    "Topic.PlacedOnAgenda": "议题列入会议议程",
    "Topic.Concluded": "议题审议完毕",
    "Group.Established": "设立协调组",
    "MemberUnit.Enrolled": "成员单位加入",
    "MemberUnit.MemberChanged": "成员调整",
    "MemberUnit.LiaisonChanged": "联络员调整",
    "MemberUnit.NotificationSettingsChanged": "修改通知设置",
    "User.Registered": "开设账号",
    "User.PasswordChanged": "修改密码",
    "User.RolesChanged": "调整账号角色",
    "User.Renamed": "修改账号姓名",
    "User.Disabled": "停用账号",
    "User.Enabled": "启用账号",
    "SupervisionReport.Issued": "印发半年督查报告",
    "YearSchedule.Recorded": "录入节假日安排",
    "YearSchedule.Revised": "修订节假日安排",
    "IdempotencyRecord.Recorded": "记录防重复提交标识",
}

AGGREGATE_NAMES = {"Task": "督办事项", "Meeting": "会议", "MinutesNumber": "纪要编号", "Resolution": "议定事项",
                   "Topic": "议题", "Group": "协调组", "MemberUnit": "成员单位", "User": "账号",
                   "SupervisionReport": "督查报告", "YearSchedule": "节假日安排", "IdempotencyRecord": "防重复提交"}

_DETAIL_KEYS = ("title", "message", "text", "summary", "narrative", "reason", "comment", "number", "name")
DETAIL_LENGTH = 60


def event_name(event_type: str) -> str:
    """The Chinese name of an event type; one the list does not know yet is named by its aggregate."""
    if event_type in EVENT_NAMES:
        return EVENT_NAMES[event_type]
    aggregate = event_type.split(".", 1)[0]
    return f"{AGGREGATE_NAMES.get(aggregate, '其他')}记录"


def event_detail(event_type: str, data: dict[str, Any]) -> str:
    """A short phrase of what the event recorded (a title, a message, a decision), for a list row."""
    parts = []
    if "approved" in data:
        parts.append("同意" if data["approved"] else "不同意")
    if "accepted" in data:
        parts.append("通过" if data["accepted"] else "退回")
    if event_type == "Task.ProgressReported" and isinstance(data.get("percent"), int):
        parts.append(f"进度 {data['percent']}%")
    if event_type == "Task.ExtensionRequested" and data.get("new_deadline"):
        parts.append(f"延至 {data['new_deadline']}")
    for key in _DETAIL_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            parts.append(text if len(text) <= DETAIL_LENGTH else text[:DETAIL_LENGTH] + "…")
            break
    return ";".join(parts)
