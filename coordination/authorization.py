"""Who may do what (DESIGN.md, Who uses it): every role rule and the liaison's own-unit rule, reads included.

The domain decides what the state allows and which unit (lead or co-unit) may act; this module
decides which roles may ask at all, and what each may read. The API and the pages both ask here.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.actors import Actor
from domain.errors import NotPermitted
from domain.tasks import Task

OVERSEERS = ("office", "supervisor")
"""Roles that read every unit's tasks and boards."""


def require_role(actor: Actor, *roles: str) -> None:
    if not any(actor.has(role) for role in roles):
        raise NotPermitted(f"this action needs the role {' or '.join(roles)}")


def require_own_unit(actor: Actor, unit: str) -> None:
    """A liaison acts for its own unit only; the office acts for any."""
    if actor.has("office"):
        return
    require_role(actor, "liaison")
    if actor.unit != unit:
        raise NotPermitted(f"a liaison of {actor.unit} cannot act for {unit}")


def oversees(actor: Actor) -> bool:
    """The office and supervisors read everything on the domain side."""
    return any(actor.has(role) for role in OVERSEERS)


def can_read_task(actor: Actor, task: Task) -> bool:
    if oversees(actor):
        return True
    return actor.has("liaison") and task.role_of(actor.unit) is not None


def can_read_file(actor: Actor, *, uploaded: bool, tasks: Iterable[Task]) -> bool:
    """佐证材料: its uploader reads it, and whoever may read a task that names it as evidence."""
    return uploaded or any(can_read_task(actor, task) for task in tasks)


def require_board_reader(actor: Actor, unit: str) -> None:
    """部门看板: a unit's own people read its board; the office and supervisors read all."""
    if oversees(actor):
        return
    if not actor.has("liaison"):  # 三员分立: an admin reads accounts, not tasks
        raise NotPermitted("boards are for the office, supervisors and liaisons")
    if actor.unit != unit:
        raise NotPermitted("a liaison reads only its own unit's board")


def register_unit(actor: Actor, unit: str | None) -> str | None:
    """The unit filter a reader of the task register gets: any for overseers, its own for a liaison."""
    if oversees(actor):
        return unit
    if not actor.has("liaison"):
        raise NotPermitted("the task register is for the office, supervisors and liaisons")
    if unit not in (None, actor.unit):
        raise NotPermitted("a liaison sees only its own unit's tasks")
    return actor.unit
