"""Every main page of every role (tests/browser/pages_list.py) through axe-core: no violation of impact
"serious" or "critical"; and each fits a 375 px phone without sideways scrolling of the page itself."""

from __future__ import annotations

import pytest

from tests.browser.axe import preload, serious_violations
from tests.browser.pages_list import cases, resolve
from tests.browser.roles import Roles
from tests.browser.seed import seed

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def roles(browser, server):
    signed = Roles(browser, server.base, prepare=preload)
    signed.world = seed(server)
    signed.open_pages = {}
    yield signed
    signed.close()


def page_of(roles: Roles, role: str):
    """One page per role for the whole module, back at 1366×768 (a new page for each case cost 0.15 s)."""
    page = roles.open_pages.get(role)
    if page is None or page.is_closed():
        page = roles.open_pages[role] = roles.page(role)
    page.set_viewport_size({"width": 1366, "height": 768})
    return page


def test_the_check_finds_what_it_looks_for(browser):
    """A field without a label and text too faint to read: the check below would report them."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="zh-CN"><head><title>测试</title></head><body><main><h1>测试</h1>'
                         '<input type="text"><p style="color:#eee;background:#fff">看不清</p></main></body></html>')
        found = " ".join(serious_violations(page))
        assert "label (critical)" in found and "color-contrast (serious)" in found, found
    finally:
        page.close()


@pytest.mark.parametrize("role, name, path", cases(), ids=[f"{r}-{n}" for r, n, _ in cases()])
def test_no_serious_accessibility_violation_and_the_page_fits_a_phone(roles, server, role, name, path):
    page = page_of(roles, role)
    path = resolve(path, roles.world)
    response = page.goto(server.base + path)
    assert response.status == 200, f"{path} as {role}: {response.status}"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 812})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width}px wide on a 375px phone"
