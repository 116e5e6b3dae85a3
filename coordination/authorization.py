"""Who may do what (DESIGN.md, Who uses it): role checks and the liaison's own-unit rule.

The domain decides what the state allows and which unit (lead or co-unit) may act; this module
decides which roles may ask at all.
"""

from __future__ import annotations

from domain.actors import Actor
from domain.errors import NotPermitted
from domain.tasks import Task


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


def can_read_task(actor: Actor, task: Task) -> bool:
    if actor.has("office") or actor.has("supervisor"):
        return True
    return actor.has("liaison") and task.role_of(actor.unit) is not None
