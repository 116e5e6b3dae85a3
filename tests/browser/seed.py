"""A small world for the browser tests, written through the API (the ledger's own use cases): tasks of
several units in several states, an urging, a progress report, a meeting and a topic. Idempotent: every
call carries a fixed Idempotency-Key, so seeding twice in one session records everything once."""

from __future__ import annotations

TASKS = [  # (key, title, lead, co-units, deadline)
    ("fin-lead", "财政保障标准测算", "finance", ["education"], "2026-06-30"),
    ("housing-lead", "乡镇文化站提升改造", "housing-construction", [], "2026-03-03"),
    ("edu-lead", "文化人才培训计划", "education", ["finance"], "2026-05-31"),
    ("rural-lead", "农村文化礼堂建设", "agriculture-rural", ["housing-construction"], "2026-03-04"),
]


def seed(http) -> dict[str, str]:
    """Write the world (once) and return {key: task id}; also "meeting" → the meeting's id."""
    ids = {}
    for key, title, lead, co_units, deadline in TASKS:
        status, body, _ = http("POST", "/api/v1/tasks", "office1", {
            "title": title, "description": "浏览器测试的督办事项", "source": {"kind": "plan", "reference": "温鹿政办〔2019〕61号"},
            "category": "facilities", "lead_unit": lead, "co_units": co_units, "deadline": deadline},
            headers={"Idempotency-Key": f"browser-seed-{key}"})
        assert status == 201, body
        ids[key] = body["id"]
    steps = [("fin", f"/api/v1/tasks/{ids['fin-lead']}/acknowledgements", None),
             ("fin", f"/api/v1/tasks/{ids['fin-lead']}/progress", {"percent": 30, "text": "已完成测算初稿"}),
             ("dukao1", f"/api/v1/tasks/{ids['housing-lead']}/urgings", {"message": "即将到期,请抓紧办理"}),
             ("dukao1", f"/api/v1/tasks/{ids['fin-lead']}/comments", {"text": "请注意与教育局的衔接"})]
    for n, (user, path, body) in enumerate(steps):
        status, answer, _ = http("POST", path, user, body or {}, headers={"Idempotency-Key": f"browser-seed-step-{n}"})
        assert status in (200, 201), answer
    status, meeting, _ = http("POST", "/api/v1/meetings", "office1", {
        "kind": "plenary", "title": "2026年第一次全体会议", "date": "2026-03-20", "location": "区政府第一会议室",
        "chair": "区政府分管副区长"}, headers={"Idempotency-Key": "browser-seed-meeting"})
    assert status == 201, meeting
    ids["meeting"] = meeting["id"]
    return ids
