"""The 26 member units of the coordination group (成员单位), in seed 002 附件2 order.

Codes are from shared/DESIGN.md; names and duties (职责分工) are copied verbatim from seed 002 附件2.
The short name is the full name without its parenthesised second title.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitCharter:
    """A member unit as the founding document defines it."""

    code: str
    name: str
    duties: tuple[str, ...]

    @property
    def short_name(self) -> str:
        return self.name.split("(")[0]


UNITS: tuple[UnitCharter, ...] = (
    UnitCharter(
        "gov-office",
        "区政府办公室(区大数据发展管理局)",
        (
            "出台相关公共文化服务体系建设政策、制度、规范文件",
            "督查国家公共文化服务体系示范区创建工作责任单位完成任务。每半年开展一次检查,形成报告送国家创建办公室,同时抄报温州市人民政府及温州市文化广电和旅游局、温州市财政局",
            "推进全区公共文化服务信息资源开发利用",
        ),
    ),
    UnitCharter(
        "org-dept",
        "区委组织部",
        (
            "指导以党群服务为核心的基层综合性文化服务工作,发挥党员在文化志愿者队伍中的骨干作用",
        ),
    ),
    UnitCharter(
        "publicity-dept",
        "区委宣传部",
        (
            "指导党的十九大、省委十四届三次全会有关公共文化服务体系建设重点任务的贯彻落实",
            "指导全区公共文化服务体系协调机制建设",
            "指导以农村文化礼堂为核心的基层综合性文化服务建设",
        ),
    ),
    UnitCharter(
        "united-front",
        "区委统战部(区民宗局)",
        (
            "推进统战、宗教工作中的相关文化建设",
            "参与制定推进民族地区公共文化建设相关政策",
            "把公共文化建设纳入民族地区经济社会发展规划",
            "将全区少数民族文化工作纳入民族工作整体规划和发展战略",
            "协助推进少数民族地区公共文化服务体系建设,参与研究制定民族地区现代公共文化服务体系建设的相关政策措施",
        ),
    ),
    UnitCharter(
        "staffing-office",
        "区委编办",
        (
            "指导和协调公共文化服务机构编制工作",
        ),
    ),
    UnitCharter(
        "civility-center",
        "区精神文明建设指导中心",
        (
            "协调推进全区公共文化服务与社会主义核心价值体系建设",
            "把现代公共文化服务体系建设纳入全区文明城市、文明村镇创建基本指标,并加以实施",
            "协调推动面向未成年人的公共文化服务",
            "将文化志愿服务纳入志愿服务工作体系",
        ),
    ),
    UnitCharter(
        "supervision-office",
        "区督考办",
        (
            "督查协调机制工作落实情况",
            "把国家公共文化服务体系示范区创建工作纳入街镇和部门年度目标责任制考核",
        ),
    ),
    UnitCharter(
        "development-reform",
        "区发改局",
        (
            "将公共文化服务体系建设纳入全区国民经济和社会发展规划",
            "指导落实鹿城区基本公共文化服务保障标准",
            "统筹重大公共文化设施建设项目",
        ),
    ),
    UnitCharter(
        "education",
        "区教育局",
        (
            "将公共文化服务专业人才培养纳入国民教育体系",
            "推动我区农村中小学和文化站(室)共建共享",
            "指导有条件的学校文体设施向社会开放",
            "鼓励全区教师、学生积极参加文化志愿者队伍",
        ),
    ),
    UnitCharter(
        "science-tech",
        "区科技局",
        (
            "推进文化与科技融合,促进科学技术在全区公共文化事业中的应用",
            "组织实施公共文化领域重大文化科技创新项目",
        ),
    ),
    UnitCharter(
        "civil-affairs",
        "区民政局",
        (
            "指导和协调文化类社会组织管理工作",
            "协调城乡社区文化建设工作",
        ),
    ),
    UnitCharter(
        "finance",
        "区财政局",
        (
            "研究建立全区基本公共文化服务体系建设和运行的财政保障机制",
            "参与指导编制鹿城区基本公共文化服务保障标准",
            "贯彻落实公共文化服务体系建设相关税收政策",
        ),
    ),
    UnitCharter(
        "human-resources",
        "区人力社保局",
        (
            "指导制定和完善全区公共文化队伍建设相关政策",
        ),
    ),
    UnitCharter(
        "housing-construction",
        "区住建局",
        (
            "指导和协调各地制定城乡公共文化设施建设规划",
            "协同制定公共文化设施建设标准",
        ),
    ),
    UnitCharter(
        "agriculture-rural",
        "区农业农村局(区扶贫办)",
        (
            "将贫困地区公共文化建设纳入扶贫工作整体规划",
            "协助推进贫困地区公共文化服务体系建设,参与研究制定贫困地区公共文化服务体系建设的相关政策措施",
        ),
    ),
    UnitCharter(
        "culture-tourism",
        "区文化和广电旅游体育局",
        (
            "协调制定全区公共文化服务体系建设重大规划法规政策,牵头编制公共文化服务体系建设总体规划、标准化建设指标体系",
            "协调推进全区基本公共文化服务标准化、均等化、社会化、数字化建设相关工作",
            "推进文化与旅游的融合发展",
            "承担区公共文化服务体系建设协调组办公室日常工作",
            "牵头制定全区全民健身公共服务建设规划和标准,并协调推进相关工作",
            "继续推进公共体育惠民项目,指导协调推进全民健身志愿服务",
            "推进全区公共体育设施向社会优惠开放,参与基层综合文体设施建设,实现共建共享",
        ),
    ),
    UnitCharter(
        "market-regulation",
        "区市场监管局",
        (
            "协调推进全区公共文化服务标准体系建设,指导公共文化相关行业开展标准化工作",
            "按照标准化法律法规规定,负责公共文化服务领域地方标准制(修)订的计划、审批、编号和发布,统一管理该领城地方标准工作",
        ),
    ),
    UnitCharter(
        "statistics",
        "区统计局",
        (
            "指导建立公共文化服务体系科学的评价、测算体系",
            "指导做好公共文化服务的数据统计和分析",
            "指导开展民意调查研究,提出意见建议",
        ),
    ),
    UnitCharter(
        "natural-resources",
        "市自然资源和规划局鹿城分局",
        (
            "会同有关部门制定图书馆、文化馆等公共文化设施土地使用标准",
            "指导各街镇做好公共文化设施用地服务保障",
        ),
    ),
    UnitCharter(
        "trade-union",
        "区总工会",
        (
            "推进全区职工文化和企业文化建设",
            "参与制定推进新居民文化建设的相关政策措施",
            "推动并指导全区工人文化宫逐步免费开放工作",
        ),
    ),
    UnitCharter(
        "youth-league",
        "团区委",
        (
            "协调推进全区青少年文化志愿服务",
            "参与推进未成年人文化建设",
            "推动并指导全区团系统所属的公共文化设施逐步免费开放工作",
        ),
    ),
    UnitCharter(
        "womens-federation",
        "区妇联",
        (
            "推进家庭文化建设与公共文化服务的融合",
            "统筹指导妇女儿童文化权益保障工作",
            "参与推进文化志愿服务",
            "推动并指导全区妇联系统所属的公共文化设施逐步免费开放工作",
        ),
    ),
    UnitCharter(
        "overseas-chinese",
        "区侨联",
        (
            "推进海外鹿城人参与公共文化服务",
        ),
    ),
    UnitCharter(
        "literary-art",
        "区文联",
        (
            "指导基层综合性文化服务中心群众文艺精品创作和活动开展",
        ),
    ),
    UnitCharter(
        "disabled-persons",
        "区残联",
        (
            "统筹指导全区残疾人文化权益保障工作",
            "支持公共文化机构为残疾人提供公共文化服务",
            "参与残疾人公共文化服务标准制定",
        ),
    ),
    UnitCharter(
        "science-association",
        "区科协",
        (
            "推进科学文化与公共文化服务的有机融合,加大科学思想和科学精神的传播",
            "推动并指导全区科协系统所属的公共文化设施逐步免费开放工作",
            "协调推进全区科技工作者科学文化志愿服务",
        ),
    ),
)

UNIT_CODES: tuple[str, ...] = tuple(unit.code for unit in UNITS)
UNITS_BY_CODE: dict[str, UnitCharter] = {unit.code: unit for unit in UNITS}

OFFICE_UNIT = "culture-tourism"
"""协调组办公室设在区文化和广电旅游体育局 (第六条)."""

GROUP_NAME = "温州市鹿城区公共文化服务体系建设协调组"
GROUP_CONVENER = "区政府分管领导(或经授权由区文化和广电旅游体育局主要负责人担任)"
OFFICE_DIRECTOR = "区文化和广电旅游体育局主要负责同志"
