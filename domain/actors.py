"""Who acts: a user of one member unit with one or more roles (DESIGN.md, Who uses it)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "office": "协调组办公室",
    "liaison": "成员单位联络员",
    "supervisor": "督查人员",
    "admin": "系统管理员",
}


@dataclass(frozen=True)
class Actor:
    username: str
    unit: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    def stamp(self) -> dict[str, str]:
        """What every event records of its actor."""
        return {"username": self.username, "unit": self.unit}


SYSTEM = Actor(username="system", unit="culture-tourism", roles=frozenset({"admin"}))
"""The actor of set-up steps run from the console (coordination init)."""
