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
    from tests.browser.roles import sign_in

    contexts = []

    def signed(username: str, viewport=(1366, 768)):
        context, page = sign_in(browser, server.base, username, viewport)
        contexts.append(context)
        return page

    yield signed
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def server(database_url, tmp_path_factory):
    """One `coordination serve` for every browser test (starting one is the slow part), with one web process:
    a browser asks one page at a time, and every process more imports and builds the app again."""
    with running_server(database_url, tmp_path_factory.mktemp("serve"), workers=1) as http:
        yield http
