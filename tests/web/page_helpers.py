"""Filling in the pages' forms as a browser would: sign in, read a form's hidden fields, submit it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.conftest import PASSWORD


class _Forms(HTMLParser):
    """Each form with the values a browser would send untouched: hidden and filled-in inputs, checked boxes,
    selected options (the first one of a single select when none is), textarea contents."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None
        self._select: tuple[str, bool, list] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "hidden": {}, "values": {}}
            self.forms.append(self._open)
        if self._open is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type") or "text"
            if kind == "hidden":
                self._open["hidden"][name] = attrs.get("value") or ""
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._open["values"].setdefault(name, []).append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self._open["values"][name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((attrs.get("value") or "", "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea = name
            self._open["values"][name] = ""

    def handle_data(self, data):
        if self._textarea and self._open is not None:
            self._open["values"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None and self._open is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected] or ([] if multiple or not options else [options[0][0]])
            self._open["values"][name] = chosen
            self._select = None


def forms_of(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_of(page: str, action: str | None = None) -> dict:
    """The page's first POST form with a form key, or the one posting to `action`."""
    for form in forms_of(page):
        if form["method"] == "post" and "form_key" in form["hidden"] and (action is None or form["action"] == action):
            return form
    raise AssertionError(f"no form for {action!r} on the page")


def hidden(page: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields (CSRF token, form key, row counts) of a form."""
    return dict(form_of(page, action)["hidden"])


def sign_in(client, username: str):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


def submit(client, path: str, data: dict | None = None, action: str | None = None, page: str | None = None):
    """Draw the form at `path` (GET), fill in `data` over what the browser would send as drawn, post it to its
    action (default: `path`)."""
    page = page if page is not None else client.get(path).get_data(as_text=True)
    form = form_of(page, action)
    fields = {**form["values"], **form["hidden"], **(data or {})}
    return client.post(action or path, data=fields), fields


def text(response) -> str:
    return response.get_data(as_text=True)


def beside(page: str, field: str) -> str:
    """The error shown beside a field (the kit's <span class="error" id="e-FIELD">)."""
    found = re.search(rf'<span class="error" id="e-{re.escape(field)}">([^<]*)</span>', page)
    return found.group(1) if found else ""


def value_of(page: str, field: str) -> str | None:
    found = re.search(rf'name="{re.escape(field)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None
