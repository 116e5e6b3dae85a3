"""Browser tests: Playwright driving the machine's Chromium (Debian's `chromium`; `.ci/run` installs it).

Without a Chromium they are skipped, and the run says so in one line.
"""

from __future__ import annotations

import shutil

import pytest

from tests.web.conftest import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SKIPPED = "browser tests skipped: no Chromium on this machine (apt-get install chromium)"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=SKIPPED))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def signed_in(browser, server):
    """A page signed in as `username`, at a viewport of (width, height)."""
    from tests.web.conftest import PASSWORD

    contexts = []

    def sign_in(username: str, viewport=(1366, 768)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(server.base + "/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def server(database_url, tmp_path_factory):
    """One `coordination serve` for every browser test (starting one is the slow part)."""
    with running_server(database_url, tmp_path_factory.mktemp("serve")) as http:
        yield http
