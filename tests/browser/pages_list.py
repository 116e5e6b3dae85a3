"""The main pages of every role, in one place: the accessibility check and the screenshots go through this
list, so a page added later is one line here. `{task}` and `{meeting}` stand for an id of the seeded world
(tests/browser/seed.py) that the role may read."""

from __future__ import annotations

USERS = {"office": "office1", "supervisor": "dukao1", "liaison": "fin", "admin": "admin1"}
"""One signed-in user per role (the session server's users, tests/web/conftest.py running_server)."""

EVERYONE = ("office", "supervisor", "liaison", "admin")
READERS = ("office", "supervisor", "liaison")
OVERSEERS = ("office", "supervisor")

MAIN_PAGES: list[tuple[str, str, tuple[str, ...]]] = [  # (name, path, roles)
    ("home", "/", EVERYONE),
    ("board", "/board", READERS),
    ("board-of-a-unit", "/board?unit=housing-construction", OVERSEERS),
    ("board-as-of", "/board?as_of=2026-03-02T10:00", ("liaison",)),
    ("task", "/tasks/{task}", READERS),
    ("task-as-of", "/tasks/{task}?as_of=2026-03-02T09:30", ("supervisor",)),
    ("my-unit", "/my-unit", ("liaison",)),
    ("propose-topic", "/topics/propose", ("liaison",)),
    ("dashboard", "/dashboard", OVERSEERS),
    ("workbench", "/office", ("office",)),
    ("register", "/tasks", READERS),
    ("new-task", "/tasks/new", ("office",)),
    ("meetings", "/meetings", OVERSEERS),
    ("schedule-meeting", "/meetings/new", ("office",)),
    ("meeting", "/meetings/{meeting}", OVERSEERS),
    ("attendance", "/meetings/{meeting}/attendance", ("office",)),
    ("minutes-editor", "/meetings/{meeting}/minutes", ("office",)),
    ("resolutions", "/resolutions", OVERSEERS),
    ("topics", "/topics", ("office",)),
    ("roster", "/roster", OVERSEERS),
    ("roster-unit", "/roster/finance", OVERSEERS),
    ("urging", "/supervision", OVERSEERS),
    ("audit", "/audit", OVERSEERS),
    ("audit-filtered", "/audit?type=Task.Assigned&limit=5", ("supervisor",)),
    ("report", "/reports/2026H1", OVERSEERS),
    ("ledger", "/ledger", OVERSEERS),
    ("password", "/account/password", EVERYONE),
    ("accounts", "/admin/users", ("admin",)),
]


def resolve(path: str, world: dict[str, str]) -> str:
    """A path with the seeded world's ids put in for `{task}` and `{meeting}`."""
    return path.format(task=world.get("fin-lead", ""), meeting=world.get("meeting", ""))


def pages_for(role: str) -> list[tuple[str, str]]:
    """(name, path) of the main pages a role uses."""
    return [(name, path) for name, path, roles in MAIN_PAGES if role in roles]


def cases() -> list[tuple[str, str, str]]:
    """(role, name, path) for every main page of every role, as test parameters."""
    return [(role, name, path) for role in ("office", "supervisor", "liaison", "admin") for name, path in pages_for(role)]
