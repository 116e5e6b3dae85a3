"""Seed 002's story told entirely through the pages, in Chromium, as the people of DESIGN.md would work it.

The office schedules a plenary, records attendance, drafts and issues minutes with a dissenting item and
creates a task with a co-unit; two liaisons acknowledge and report progress with an uploaded file; the lead
asks for an extension, which the office grants; the supervisor urges and the lead replies; the lead asks
for completion, the office returns it once and then accepts; the supervisor reads the audit log, opens the
board as of an earlier day and sees the earlier state, and issues the half-yearly report.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.roles import Roles

pytestmark = pytest.mark.db

TODAY = "2026-03-02"  # the session server's clock starts at 2026-03-02 09:00 Beijing time
TASK = "推进基层综合性文化服务中心全覆盖"


@pytest.fixture(scope="module")
def people(browser, server):
    signed = Roles(browser, server.base)
    yield signed
    signed.close()


def ok(page) -> None:
    """No error page: every step of the story lands on a page that is not a refusal."""
    page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1).first.inner_text()
    assert not any(word in heading for word in ("填写有误", "无权访问", "页面不存在", "不允许", "系统内部错误")), (
        heading, page.url, page.locator("main").inner_text()[:800])


def action(page, label: str):
    """The task page's form for one action (a <details> headed by its name), opened."""
    box = page.locator("details.action").filter(has=page.locator("summary", has_text=re.compile(f"^{label}$")))
    assert box.count() == 1, f"the page offers no {label}: {page.locator('main').inner_text()[:600]}"
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def done(page, message: str) -> None:
    ok(page)
    assert message in page.locator(".flash").inner_text(), page.locator("main").inner_text()[:800]


def test_seed_002s_story_through_the_pages(people, server, tmp_path):
    base = server.base

    # --- 协调组办公室: a plenary (第七条), its attendance, its minutes with a dissenting item, issued ---
    office = people.page("office")
    office.goto(base + "/meetings/new")
    office.get_by_label("会议类别").select_option(label="全体会议")
    office.get_by_label("会议名称").fill("协调组2026年第一次全体会议")
    office.get_by_label("日期").fill(TODAY)
    office.get_by_label("地点").fill("区政府3号楼会议室")
    office.get_by_label("主持人").fill("召集人(区政府分管副区长)")
    office.get_by_role("button", name="安排会议").click()
    ok(office)
    expect(office.get_by_role("heading", name=re.compile("协调组2026年第一次全体会议"))).to_be_visible()
    meeting_url = office.url

    office.get_by_role("link", name="记录出席情况").click()
    for unit in ("区文化和广电旅游体育局", "区财政局", "区教育局"):
        office.get_by_label(f"{unit}出席情况").select_option(label="出席")
    office.get_by_label("区住建局出席情况").select_option(label="缺席")
    office.get_by_label("区住建局缺席原因").fill("参加市里专题会议")
    office.get_by_label("列席人员(每行一位)").fill("市文广旅局 张三")
    office.get_by_role("button", name="保存出席情况").click()
    ok(office)
    assert "参加市里专题会议" in office.locator("main").inner_text()

    office.get_by_role("link", name="起草会议纪要").click()
    office.get_by_label("纪要编号").fill("鹿文协纪〔2026〕1号")
    office.get_by_label("纪要正文(会议概况)").fill("会议听取了示范区创建工作进展汇报,研究部署下一阶段重点工作。")
    first = office.get_by_role("group", name="议定事项第 1 项")
    first.get_by_label("标题").fill(TASK)
    first.get_by_label("内容").fill("年底前实现村(社区)综合性文化服务中心全覆盖。")
    first.get_by_label("类别(第五条)").select_option(index=3)
    first.get_by_label("结果").select_option(value="agreed")
    office.get_by_role("button", name="增加一项").click()
    second = office.get_by_role("group", name="议定事项第 2 项")
    second.get_by_label("标题").fill("调整文化专项资金分配办法")
    second.get_by_label("内容").fill("按服务人口调整专项资金分配。")
    second.get_by_label("类别(第五条)").select_option(index=2)
    second.get_by_label("结果").select_option(value="deferred")
    second.get_by_role("button", name="增加一条不同意见").click()
    second = office.get_by_role("group", name="议定事项第 2 项")
    second.get_by_label("不同意见 1:单位").select_option(value="finance")
    second.get_by_label("不同意见 1:意见").fill("建议先测算再调整,暂缓议定。")
    office.get_by_role("button", name="保存草稿").click()
    ok(office)

    office.get_by_role("link", name="印发纪要…").click()
    office.get_by_role("button", name="确认印发").click()  # the browser refuses: the confirmation box is required
    assert "印发会议纪要" in office.get_by_role("heading", level=1).inner_text()
    office.get_by_label(re.compile("确认印发")).check()
    office.get_by_role("button", name="确认印发").click()
    ok(office)
    assert "建议先测算再调整" in office.locator("main").inner_text(), "the dissent stays on the record"

    # --- a task from the resolution, lead 区财政局 with 区教育局 as co-unit ---
    office.get_by_role("link", name="据此新建督办任务").first.click()
    office.get_by_label("牵头单位(必选)").select_option(value="finance")
    office.get_by_role("group", name="配合单位").get_by_label(re.compile("区教育局")).check()
    office.get_by_label("办结日期").fill("2026-06-30")
    office.get_by_role("button", name="交办").click()
    ok(office)
    task_url = office.url
    assert re.search(r"/tasks/[0-9a-f-]{36}$", task_url), task_url
    assert TASK in office.locator("main").inner_text()

    # --- two liaisons: 签收, then 反馈进展 with an uploaded file each ---
    lead, co = people.page("fin"), people.page("edu")
    for page, unit, percent in ((lead, "财政", "40"), (co, "教育", "20")):
        page.goto(task_url)
        action(page, "签收").get_by_role("button", name="签收").click()
        done(page, "已签收")
        evidence = tmp_path / f"{unit}局进展材料.pdf"
        evidence.write_bytes(b"%PDF-1.4\n% evidence of " + unit.encode() + b"\n%%EOF\n")
        form = action(page, "反馈进展")
        form.get_by_label("完成进度(%)").fill(percent)
        form.get_by_label("进展情况").fill(f"{unit}局已完成摸底调研,正在推进。")
        form.get_by_label("佐证材料(可多选)").set_input_files(str(evidence))
        form.get_by_role("button", name="反馈进展").click()
        done(page, "进展已报送")
        link = page.get_by_role("link", name=evidence.name).first
        expect(link, "the timeline names the uploaded file").to_be_visible()
        download = page.request.get(server.base + link.get_attribute("href"))
        assert download.status == 200 and download.body() == evidence.read_bytes()

    # --- the lead asks for an extension; the office grants it ---
    form = action(lead, "申请延期")
    form.get_by_label("申请延期至").fill("2026-09-30")
    form.get_by_label("延期理由").fill("部分村(社区)场地改造需跨季度施工。")
    form.get_by_role("button", name="申请延期").click()
    done(lead, "延期申请已提交")
    office.goto(task_url)
    form = action(office, "审批延期")
    form.get_by_label("审批意见").fill("同意,请按新期限推进。")
    form.get_by_role("button", name="同意延期").click()
    done(office, "延期申请已审批")
    assert "2026-09-30" in office.locator("main").inner_text()

    # --- the supervisor urges; the lead replies (催办回复, an event of its own) ---
    supervisor = people.page("supervisor")
    supervisor.goto(task_url)
    form = action(supervisor, "催办")
    form.get_by_label("催办内容").fill("请加快进度,按月报送进展。")
    form.get_by_role("button", name="催办").click()
    done(supervisor, "已催办")
    lead.goto(task_url)
    form = action(lead, "催办回复")
    form.get_by_label("回复内容").fill("已组织专班,每月报送。")
    form.get_by_role("button", name="催办回复").click()
    done(lead, "催办回复已提交")

    # --- completion: asked, returned once with a reason, asked again, accepted ---
    for attempt, (verdict, comment) in enumerate((("退回", "佐证材料不全,请补充验收记录。"), ("同意办结", "同意办结。"))):
        form = action(lead, "申请办结")
        form.get_by_label("办结情况").fill("已实现全覆盖。" if attempt == 0 else "已补充验收记录,全覆盖。")
        form.get_by_role("button", name="申请办结").click()
        done(lead, "办结申请已提交")
        office.goto(task_url)
        form = action(office, "审核办结")
        form.get_by_label("审核意见").fill(comment)
        form.get_by_role("button", name=verdict).click()
        done(office, "办结申请已审核")
        lead.goto(task_url)
    assert "已办结" in lead.locator("main").inner_text()
    assert "佐证材料不全" in lead.locator("main").inner_text(), "the return stays in the timeline"

    # --- the supervisor: the audit log, the board as of an earlier day, the half-yearly report ---
    supervisor.goto(base + "/audit")
    ok(supervisor)
    log = supervisor.locator("main").inner_text()
    assert TASK in log and "dukao1" in log
    supervisor.goto(base + "/board?unit=finance")
    expect(supervisor.get_by_role("link", name=TASK)).to_be_visible()
    supervisor.get_by_label("查看历史时刻").fill("2026-03-01T09:00")
    supervisor.get_by_role("form", name="选择历史时刻").get_by_role("button", name="查看").click()
    expect(supervisor.get_by_text("这是历史视图")).to_be_visible()
    assert supervisor.get_by_role("link", name=TASK).count() == 0, "a day earlier the task did not exist"

    supervisor.goto(base + "/reports/2026H1")
    supervisor.get_by_label(re.compile("报告正文")).fill("一是按月调度;二是对逾期事项挂牌督办。")
    supervisor.get_by_role("button", name="预览并确认印发").click()
    ok(supervisor)
    supervisor.get_by_role("form", name="确认印发").get_by_role("button", name="确认印发").click()
    ok(supervisor)
    issued = supervisor.locator("main").inner_text()
    assert "SHA-256" in issued and re.search(r"[0-9a-f]{64}", issued), issued[:800]
    for page in (office, lead, co, supervisor):
        page.close()
