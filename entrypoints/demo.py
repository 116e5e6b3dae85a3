"""The demo history (coordination demo): a believable 2026 for the Lucheng coordination group.

Two plenaries and three office meetings with issued minutes whose items follow the eight duties,
about thirty tasks over many units in every state (assigned, in progress, overdue, extended,
returned, cancelled, reassigned, completed on time and late), and demo users for every role.
Every step runs through the ledger's use cases with a scripted clock, so the log is exactly what
real use would have written. Long because most of it is the story's data (meetings, items, tasks).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from coordination.ledger import Ledger
from coordination.clock import ManualClock
from coordination.errors import StoreNotReady
from domain.actors import SYSTEM, Actor
from domain.deadlines import SHANGHAI
from domain.charter import UNITS

DEMO_PASSWORD = "lucheng-2026"
DEMO_END = datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI)

OFFICE = Actor("office", "culture-tourism", frozenset({"office"}))
SUPERVISOR = Actor("dukao", "supervision-office", frozenset({"supervisor"}))
ADMIN = Actor("admin", "gov-office", frozenset({"admin"}))


def liaison(code: str) -> Actor:
    return Actor(f"{code}-liaison", code, frozenset({"liaison"}))


DEMO_USERS: list[tuple[Actor, str]] = [
    (ADMIN, "系统管理员"),
    (OFFICE, "协调组办公室(区文广旅体局)"),
    (SUPERVISOR, "区督考办督查员"),
    *[(liaison(u.code), f"{u.short_name}联络员") for u in UNITS],
]


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


MEETINGS: list[dict[str, Any]] = [
    {
        "kind": "plenary", "title": "协调组2026年第一次全体会议", "date": date(2026, 1, 20),
        "number": "鹿文协纪〔2026〕1号", "issued": date(2026, 1, 23),
        "summary": "会议传达了国家公共文化服务体系示范区创建要求,审议了年度重点任务。",
        "items": [
            ("编制公共文化服务体系建设总体规划", "policy"),
            ("制定基本公共文化服务标准化建设指标体系", "standards"),
            ("建立基本公共文化服务财政保障机制", "funding"),
            ("推进区图书馆、文化馆总分馆制建设", "facilities"),
            ("实施文化惠民“送戏下乡”工程", "programs"),
            ("落实乡镇(街道)文化下派员制度", "talent"),
            ("组建鹿城区文化志愿者总队", "socialization"),
        ],
        "deferred": ("设立农村文化建设专项资金", "funding", "finance", "资金规模需待年度预算调整后再议"),
    },
    {
        "kind": "office", "title": "办公室成员工作会议(三月)", "date": date(2026, 3, 18),
        "number": "鹿文协纪〔2026〕2号", "issued": date(2026, 3, 20),
        "summary": "会议研究了文化站专项治理和场馆免费开放工作。",
        "items": [
            ("开展镇(街道)综合文化站专项治理", "facilities"),
            ("推动学校文体设施向社会开放", "facilities"),
            ("推进工人文化宫、青少年宫免费开放", "programs"),
        ],
    },
    {
        "kind": "office", "title": "办公室成员工作会议(五月)", "date": date(2026, 5, 20),
        "number": "鹿文协纪〔2026〕3号", "issued": date(2026, 5, 22),
        "summary": "会议研究了数字文化服务和统计监测工作。",
        "items": [
            ("建设公共文化数字服务平台", "programs"),
            ("建立公共文化服务统计监测体系", "standards"),
            ("开展公共文化服务群众满意度调查", "other"),
        ],
    },
    {
        "kind": "plenary", "title": "协调组2026年第二次全体会议", "date": date(2026, 7, 8),
        "number": "鹿文协纪〔2026〕4号", "issued": date(2026, 7, 10),
        "summary": "会议听取了上半年督查情况通报,部署下半年工作。",
        "items": [
            ("完善公共文化人才继续教育培训制度", "talent"),
            ("推进残疾人、未成年人等特殊群体文化服务", "programs"),
        ],
    },
    {
        "kind": "office", "title": "办公室成员工作会议(九月)", "date": date(2026, 9, 16),
        "number": "鹿文协纪〔2026〕5号", "issued": date(2026, 9, 18),
        "summary": "会议研究了迎接国家示范区复核的准备工作。",
        "items": [("筹备示范区创建复核迎检材料", "other")],
    },
]

# (meeting index, item index) or a work plan / instruction; lead; co-units; deadline; fate.
TASKS: list[tuple[Any, str, str, list[str], date, str]] = [
    ((0, 0), "起草总体规划(征求意见稿)", "culture-tourism", ["development-reform", "natural-resources"], date(2026, 4, 30), "completed_on_time"),
    ((0, 0), "将公共文化纳入国民经济和社会发展规划", "development-reform", ["culture-tourism"], date(2026, 6, 30), "extended_completed"),
    ((0, 1), "制定标准化建设指标体系", "culture-tourism", ["market-regulation", "statistics"], date(2026, 5, 31), "completed_late"),
    ((0, 1), "发布公共文化服务地方标准", "market-regulation", ["culture-tourism"], date(2026, 9, 30), "returned_then_completed"),
    ((0, 2), "测算基本公共文化服务保障资金", "finance", ["culture-tourism", "development-reform"], date(2026, 3, 13), "overdue_urged"),
    ((0, 2), "出台公共文化服务税收政策指引", "finance", [], date(2026, 6, 30), "cancelled"),
    ((0, 3), "建设图书馆总分馆10个", "culture-tourism", ["housing-construction", "education"], date(2026, 6, 30), "completed_on_time"),
    ((0, 3), "落实文化设施用地保障", "natural-resources", ["housing-construction"], date(2026, 8, 31), "overdue"),
    ((0, 4), "开展送戏下乡200场", "culture-tourism", ["literary-art", "trade-union"], date(2026, 12, 31), "in_progress"),
    ((0, 5), "配齐乡镇(街道)文化站专职人员", "human-resources", ["staffing-office", "culture-tourism"], date(2026, 6, 30), "extension_refused_overdue"),
    ((0, 5), "核定文化站机构编制", "staffing-office", ["human-resources"], date(2026, 5, 31), "completed_on_time"),
    ((0, 6), "组建文化志愿者总队", "civility-center", ["youth-league", "womens-federation"], date(2026, 4, 30), "completed_on_time"),
    ((0, 6), "发展青少年文化志愿者500名", "youth-league", ["education"], date(2026, 12, 15), "in_progress"),
    ((1, 0), "文化站标识标牌和功能室排查整改", "culture-tourism", ["civil-affairs"], date(2026, 6, 30), "completed_late"),
    ((1, 0), "清理文化站被挤占挪用设施", "civil-affairs", ["culture-tourism"], date(2026, 10, 31), "reassigned"),
    ((1, 1), "有条件学校文体设施向社会开放", "education", ["culture-tourism"], date(2026, 9, 1), "completion_requested"),
    ((1, 2), "工人文化宫免费开放", "trade-union", [], date(2026, 7, 31), "completed_on_time"),
    ((1, 2), "妇联系统文化设施免费开放", "womens-federation", [], date(2026, 8, 31), "completed_late"),
    ((1, 2), "科协系统科普场馆免费开放", "science-association", ["science-tech"], date(2026, 12, 31), "assigned"),
    ((2, 0), "建设公共文化数字服务平台一期", "gov-office", ["culture-tourism", "science-tech"], date(2026, 11, 24), "in_progress_due_soon"),
    ((2, 1), "建立公共文化服务统计指标", "statistics", ["culture-tourism"], date(2026, 10, 31), "overdue"),
    ((2, 2), "开展群众满意度调查", "statistics", ["gov-office"], date(2026, 9, 30), "extended_pending"),
    ((3, 0), "制定公共文化人才培训计划", "human-resources", ["culture-tourism"], date(2026, 12, 31), "in_progress"),
    ((3, 1), "残疾人文化服务提升行动", "disabled-persons", ["civil-affairs", "culture-tourism"], date(2026, 12, 31), "assigned"),
    ((3, 1), "未成年人公共文化服务项目", "civility-center", ["education", "youth-league"], date(2027, 3, 31), "in_progress"),
    ((4, 0), "汇编示范区创建台账资料", "gov-office", ["culture-tourism"], date(2026, 12, 10), "in_progress"),
    ("plan:王益区公共文化场馆服务效能提升实施方案(参照)", "推进公共文化场馆延时开放", "culture-tourism", ["education", "science-association"], date(2026, 8, 31), "completed_on_time"),
    ("plan:文化站专项治理工作方案(参照)", "报送文化站专项治理工作情况", "culture-tourism", [], date(2026, 6, 20), "completed_late"),
    ("instruction:区政府分管领导批示(2026年4月)", "海外鹿城人文化交流活动", "overseas-chinese", ["united-front"], date(2026, 10, 15), "completed_on_time"),
    ("instruction:区委宣传部工作要求", "农村文化礼堂建设督导", "publicity-dept", ["agriculture-rural", "org-dept"], date(2026, 11, 30), "in_progress"),
    ("instruction:区督考办督查通报", "乡村文化振兴专项督查整改", "agriculture-rural", ["publicity-dept"], date(2026, 9, 30), "overdue_urged"),
]

CATEGORY_OF_SOURCE = {"plan": "facilities", "instruction": "other"}


@dataclass(order=True)
class Step:
    instant: datetime
    sequence: int
    action: Callable[[], None]


class DemoHistory:
    def __init__(self, ledger: Ledger, clock: ManualClock):
        self.ledger = ledger
        self.clock = clock
        self.queue: list[Step] = []
        self.counter = itertools.count()
        self.resolutions: dict[tuple[int, int], str] = {}
        self.tasks: dict[int, str] = {}

    def later(self, instant: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, Step(instant, next(self.counter), action))

    def run(self) -> None:
        while self.queue:
            step = heapq.heappop(self.queue)
            self.clock.set(max(step.instant, self.clock.now()))
            step.action()

    # --- the script ---------------------------------------------------------------------------

    def write(self) -> None:
        ledger = self.ledger
        self.clock.set(at(date(2026, 1, 5), 9))
        for user, display_name in DEMO_USERS:
            ledger.register_user(ADMIN if user is not ADMIN else SYSTEM, username=user.username,
                                 password=DEMO_PASSWORD, unit=user.unit, roles=sorted(user.roles),
                                 display_name=display_name)
        declined = ledger.propose_topic(liaison("overseas-chinese"), title="设立海外侨胞文化驿站",
                                        background="侨联建议").result["id"]
        ledger.decline_topic(OFFICE, declined, reason="不属于本年度重点,转部门日常工作")
        for index, meeting in enumerate(MEETINGS):
            self.later(at(meeting["date"] - timedelta(days=10), 9), lambda i=index: self.meeting(i))
        for index, spec in enumerate(TASKS):
            self.later(self.assignment_instant(spec), lambda i=index: self.task(i))
        self.run()

    def assignment_instant(self, spec: tuple[Any, ...]) -> datetime:
        source = spec[0]
        if isinstance(source, tuple):
            return at(MEETINGS[source[0]]["issued"] + timedelta(days=3), 9)
        return at(spec[4] - timedelta(days=90), 9)

    def meeting(self, index: int) -> None:
        spec = MEETINGS[index]
        ledger = self.ledger
        topic = ledger.propose_topic(OFFICE, title=spec["title"] + "议题",
                                     background=spec["summary"]).result["id"]
        ledger.accept_topic(OFFICE, topic)
        meeting_id = ledger.schedule_meeting(OFFICE, kind=spec["kind"], title=spec["title"], date=spec["date"],
                                             location="区政府第一会议室" if spec["kind"] == "plenary" else "区文广旅体局三楼会议室",
                                             chair="区政府分管副区长" if spec["kind"] == "plenary" else "协调组办公室主任",
                                             topics=[topic]).result["id"]
        items = [{"title": title, "text": title + ",按分工抓好落实。", "category": category, "outcome": "agreed"}
                 for title, category in spec["items"]]
        if "deferred" in spec:
            title, category, unit, opinion = spec["deferred"]
            items.append({"title": title, "text": title, "category": category, "outcome": "deferred",
                          "dissent": [{"unit": unit, "opinion": opinion}]})
        present = [u.code for u in UNITS if u.code not in {"overseas-chinese", "science-association"}]
        absent = [{"unit": "overseas-chinese", "reason": "外出公务"}, {"unit": "science-association", "reason": "请假"}]

        def hold() -> None:
            ledger.record_attendance(OFFICE, meeting_id, present=present, absent=absent, invited=["温州市文化广电旅游局"])
            ledger.draft_minutes(OFFICE, meeting_id, number=spec["number"], summary=spec["summary"], items=items)

        def issue() -> None:
            result = ledger.issue_minutes(OFFICE, meeting_id).result
            for resolution in result["resolutions"]:
                self.resolutions[(index, resolution["item"])] = resolution["id"]

        self.later(at(spec["date"], 16), hold)
        self.later(at(spec["issued"], 10), issue)

    def task(self, index: int) -> None:
        source_spec, title, lead, co, deadline, fate = TASKS[index]
        if isinstance(source_spec, tuple):
            source = {"kind": "resolution", "resolution_id": self.resolutions[source_spec]}
            category = None
        else:
            kind, reference = source_spec.split(":", 1)
            source = {"kind": kind, "reference": reference}
            category = CATEGORY_OF_SOURCE[kind]
        task_id = self.ledger.assign_task(OFFICE, title=title, description=title + "。", source=source,
                                          category=category, lead_unit=lead, co_units=co, deadline=deadline,
                                          feedback_every="quarter").result["id"]
        self.tasks[index] = task_id
        self.fate(task_id, lead, co, deadline, fate)

    def fate(self, task_id: str, lead: str, co: list[str], deadline: date, fate: str) -> None:
        ledger, start = self.ledger, self.clock.now()
        due = at(deadline, 9)
        span = max(due - start, timedelta(days=10))

        def step(fraction: float, action: Callable[[], Any]) -> None:
            self.later(start + span * fraction, action)

        def after_deadline(days: int, action: Callable[[], Any]) -> None:
            self.later(due + timedelta(days=days), action)

        if fate == "assigned":
            return
        step(0.05, lambda: ledger.acknowledge(liaison(lead), task_id))
        for unit in co:
            step(0.08, lambda u=unit: ledger.acknowledge(liaison(u), task_id))
        if fate == "cancelled":
            step(0.3, lambda: ledger.cancel(OFFICE, task_id, reason="该事项已由市级统一出台政策,区级不再单独制定"))
            return
        step(0.4, lambda: ledger.report_progress(liaison(lead), task_id, percent=40, text="已制定工作方案并启动实施",
                                                 evidence=[evidence(ledger, lead, "工作方案.pdf", task_id)]))
        if co:
            step(0.5, lambda: ledger.report_progress(liaison(co[0]), task_id, percent=50, text="配合单位已完成分工内容"))

        def request(summary: str = "已按要求完成,附佐证材料") -> Callable[[], Any]:
            return lambda: ledger.request_completion(liaison(lead), task_id, summary=summary,
                                                     evidence=[evidence(ledger, lead, "完成情况报告.pdf", task_id)])

        def accept() -> Any:
            return ledger.decide_completion(OFFICE, task_id, accepted=True, comment="经核验,同意办结")

        def urge(message: str) -> Callable[[], Any]:
            return lambda: ledger.urge(SUPERVISOR, task_id, message=message)

        if fate == "completed_on_time":
            step(0.8, request())
            step(0.85, accept)
        elif fate == "completed_late":
            after_deadline(4, urge("任务已超期,请尽快办结"))
            after_deadline(12, request("已完成,超期原因:前期调研耗时较长"))
            after_deadline(14, accept)
        elif fate == "returned_then_completed":
            step(0.7, request("标准草案已完成"))
            step(0.75, lambda: ledger.decide_completion(OFFICE, task_id, accepted=False,
                                                        comment="标准尚未正式发布,请发布后再申请办结"))
            after_deadline(6, request("标准已正式发布"))
            after_deadline(8, accept)
        elif fate == "extended_completed":
            step(0.7, lambda: ledger.request_extension(liaison(lead), task_id, new_deadline=deadline + timedelta(days=61),
                                                       reason="需与市级规划纲要衔接"))
            step(0.72, lambda: ledger.decide_extension(OFFICE, task_id, 1, approved=True, comment="同意延期两个月"))
            after_deadline(30, request())
            after_deadline(33, accept)
        elif fate == "extension_refused_overdue":
            step(0.8, lambda: ledger.request_extension(liaison(lead), task_id, new_deadline=deadline + timedelta(days=92),
                                                       reason="招录计划需市级审批"))
            step(0.82, lambda: ledger.decide_extension(OFFICE, task_id, 1, approved=False,
                                                       comment="该项为示范区创建硬指标,不予延期"))
            after_deadline(10, urge("请说明超期原因并限期整改"))
        elif fate == "extended_pending":
            step(0.9, lambda: ledger.request_extension(liaison(lead), task_id, new_deadline=deadline + timedelta(days=45),
                                                       reason="调查问卷回收率不足"))
        elif fate == "completion_requested":
            step(0.9, request("已有32所学校向社会开放文体设施"))
        elif fate == "reassigned":
            step(0.3, lambda: ledger.reassign(OFFICE, task_id, lead_unit="culture-tourism", co_units=["civil-affairs"],
                                              reason="设施产权属文化部门,调整为区文广旅体局牵头"))
            step(0.35, lambda: ledger.acknowledge(liaison("culture-tourism"), task_id))
            step(0.6, lambda: ledger.report_progress(liaison("culture-tourism"), task_id, percent=70,
                                                     text="已清理收回设施5处"))
        elif fate in ("overdue", "overdue_urged"):
            if fate == "overdue_urged":
                after_deadline(3, urge("已超期,请于一周内报送进展"))
                after_deadline(20, lambda: ledger.urge(OFFICE, task_id, message="再次催办"))
        # in_progress, in_progress_due_soon: stay open with the progress above.


def evidence(ledger: Ledger, unit: str, name: str, task_id: str) -> dict[str, str]:
    """A small real PDF uploaded by the unit's liaison, as the pages and the API would: the {name, sha256} to cite."""
    title = {"工作方案.pdf": "Work plan", "完成情况报告.pdf": "Completion report"}.get(name, "Evidence")
    content = tiny_pdf([f"{title} - {unit}", f"Task {task_id}", f"Recorded {ledger.clock.now():%Y-%m-%d}"])
    stored = ledger.store_file(liaison(unit), name=name, content=content, content_type="application/pdf")
    return {"name": stored["name"], "sha256": stored["sha256"]}


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 of a few ASCII lines (Helvetica; no font file needed)."""
    text = "\n".join(f"BT /F1 14 Tf 72 {760 - 24 * i} Td ({line}) Tj ET" for i, line in enumerate(lines)).encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def load_demo(ledger: Ledger) -> int:
    """Write the demo history; refuses on a store that already holds users, meetings or tasks."""
    if not ledger.is_empty():
        raise StoreNotReady("the store is not empty: the demo loads only into a freshly initialised store")
    now = ledger.clock.now()
    if now < DEMO_END:
        raise StoreNotReady(f"the demo history runs to {DEMO_END.isoformat()}, after the service clock's now "
                            f"({now.isoformat()}); start the clock later or leave COORDINATION_CLOCK_START unset")
    service_clock = ledger.clock
    script_clock = ManualClock(at(date(2026, 1, 5), 8))
    ledger.clock = script_clock
    try:
        DemoHistory(ledger, script_clock).write()
    finally:
        ledger.clock = service_clock
    # The units were established by `coordination init`, at the service clock's time: their changes come after
    # it, never in the story's past (an aggregate's instants never go back).
    for code, name, title in [("finance", "陈立", "预算科科长"), ("education", "林晓", "体卫艺科科长"),
                              ("culture-tourism", "周敏", "公共服务科科长")]:
        ledger.change_liaison(OFFICE, code, name=name, title=title, phone="0577-8800" + str(len(code)).zfill(4),
                              reason="报送联络员名单")
    return ledger.position()
