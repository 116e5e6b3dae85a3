"""A crawl as each role of every same-origin link reachable from its landing page (GET only, bounded):
no 5xx, no English or JSON error page, every page in zh-CN, and a liaison never reaches another unit's data."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.browser.pages_list import USERS
from tests.browser.roles import Roles
from tests.browser.seed import seed

pytestmark = pytest.mark.db

MAX_PAGES = 150
SKIPPED = (re.compile(r"^/logout"), re.compile(r"^/api/"), re.compile(r"/export"), re.compile(r"^/files/"),
           re.compile(r"/download"))
"""Not followed: the logout, the API (JSON for programs, English Swagger UI), and downloads."""
ENGLISH_ERRORS = ("Not Found", "Internal Server Error", "Forbidden", "Method Not Allowed", "Bad Request",
                  "Unauthorized", "Traceback", "Service Unavailable")
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
def world(server):
    return seed(server)


@pytest.fixture(scope="module")
def roles(browser, server, world):
    signed = Roles(browser, server.base)
    yield signed
    signed.close()


def crawl(roles: Roles, role: str, base: str) -> dict[str, tuple[int, str, str]]:
    """Breadth first from the landing page: {path?query: (status, content type, body)}."""
    username = USERS.get(role, role)
    if username not in roles.contexts:
        roles.landing(role)
    context, landing = roles.contexts[username]
    start = urlsplit(landing)
    queue, seen, found = deque([landing, base + "/"]), set(), {}
    while queue and len(found) < MAX_PAGES:
        url = urldefrag(queue.popleft())[0]
        parts = urlsplit(url)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        if key in seen or parts.netloc != start.netloc or any(p.search(parts.path) for p in SKIPPED):
            continue
        seen.add(key)
        response = context.request.get(url, max_redirects=5)
        kind = response.headers.get("content-type", "")
        body = response.text() if ("html" in kind or "json" in kind or "text" in kind) else ""
        found[key] = (response.status, kind, body)
        if "html" in kind:
            queue.extend(urljoin(url, unescape(href)) for href in HREF.findall(body))
    return found


def check_pages(found: dict[str, tuple[int, str, str]]) -> list[str]:
    problems = []
    for url, (status, kind, body) in found.items():
        if status >= 500:
            problems.append(f"{url}: {status}")
        if "json" in kind:
            problems.append(f"{url}: a JSON answer on a page ({status})")
        elif "html" in kind:
            if '<html lang="zh-CN"' not in body:
                problems.append(f"{url}: no lang=zh-CN")
            english = [e for e in ENGLISH_ERRORS if e in body]
            if english:
                problems.append(f"{url}: English error text {english}")
    return problems


@pytest.mark.parametrize("role", ["office", "supervisor", "admin"])
def test_every_page_reachable_by_the_office_the_supervisor_and_the_admin_is_chinese_and_answers(roles, server,
                                                                                               role):
    found = crawl(roles, role, server.base)
    assert len(found) >= 3, found.keys()
    assert check_pages(found) == []


LIAISONS = {"fin": "finance", "edu": "education"}


@pytest.mark.parametrize("username", sorted(LIAISONS))
def test_a_liaisons_crawl_never_reaches_another_units_data(roles, server, world, username):
    unit = LIAISONS[username]
    tasks = server("GET", "/api/v1/tasks", "office1")[1]
    own = [t for t in tasks if unit == t["lead_unit"] or unit in t["co_units"]]
    foreign = [t for t in tasks if t not in own]
    assert own and foreign, "the seeded world has tasks of this unit and of others"
    own_titles = {t["title"] for t in own}
    found = crawl(roles, username, server.base)
    assert check_pages(found) == []
    assert any(t["title"] in body for t in own for _, _, body in found.values()), "the unit's own tasks are shown"
    leaks = []
    for url, (status, _, body) in found.items():
        for task in foreign:
            if task["id"] in url or task["id"] in body:
                leaks.append(f"{url}: task id {task['id']} ({task['title']})")
            if task["title"] not in own_titles and task["title"] in body:
                leaks.append(f"{url}: task title {task['title']}")
        for other in re.findall(r"[?&]unit=([a-z-]+)", url):
            if other != unit and status == 200:
                leaks.append(f"{url}: another unit's board answered 200")
    assert leaks == []
