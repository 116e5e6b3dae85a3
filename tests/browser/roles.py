"""One signed-in browser context per role for a whole test module (signing in is the slow part)."""

from __future__ import annotations

from tests.browser.pages_list import USERS
from tests.web.conftest import PASSWORD


def sign_in(browser, base: str, username: str, viewport=(1366, 768), prepare=None, password: str = PASSWORD):
    """A new browser context signed in through the login page as `username`: (context, the page it landed on)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    if prepare:
        prepare(context)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return context, page


class Roles:
    def __init__(self, browser, base: str, prepare=None):
        """`prepare(context)`: called on each new context before its first page (e.g. to preload a script)."""
        self.browser, self.base, self.contexts, self.prepare = browser, base, {}, prepare

    def page(self, role: str, viewport=(1366, 768)):
        """A fresh page signed in as the role's user (the context and its session are kept)."""
        username = USERS.get(role, role)
        if username not in self.contexts:
            context, page = sign_in(self.browser, self.base, username, viewport, self.prepare)
            self.contexts[username] = (context, page.url)
            page.close()
        context, _ = self.contexts[username]
        page = context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        return page

    def landing(self, role: str) -> str:
        self.page(role).close()
        return self.contexts[USERS.get(role, role)][1]

    def close(self):
        for context, _ in self.contexts.values():
            context.close()
