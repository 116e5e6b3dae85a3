"""The eight duty categories of the group (第五条), in order; every resolution and task has one."""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "policy": "重大政策、规划、标准",
    "standards": "基本公共文化服务标准实施和考核",
    "funding": "投入保障机制",
    "facilities": "基层文化设施和项目",
    "programs": "重大惠民项目",
    "talent": "人才队伍建设",
    "socialization": "社会化",
    "other": "其他重大事项",
}

CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORIES)
