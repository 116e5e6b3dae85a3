"""Use cases of notification settings (消息推送设置): the office or the unit's liaison sets where they go."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from coordination.authorization import require_own_unit
from coordination.delivery import checked_settings
from coordination.runner import CommandRunner, Outcome
from domain.actors import Actor
from domain.errors import NotFound
from domain.charter import UNITS_BY_CODE


class NotificationUseCases(CommandRunner):
    def change_notification_settings(self, actor: Actor, code: str, *, webhook_url: str | None = None,
                                     webhook_secret: str | None = None, emails: list[str] | None = None,
                                     idempotency_key: str | None = None) -> tuple[Outcome, dict[str, Any]]:
        """Record in the log that the unit's settings changed (channels only, no address or secret), and
        return the checked settings for the settings table (coordination.delivery.save_settings)."""
        if code not in UNITS_BY_CODE:
            raise NotFound(f"no unit {code}")
        require_own_unit(actor, code)
        settings = checked_settings(webhook_url, webhook_secret, emails)

        def work(at: datetime) -> tuple[dict[str, Any], list[Aggregate]]:
            unit = self.unit(code)
            unit.record_notification_settings(webhook=settings["webhook_url"] is not None,
                                              emails=len(settings["emails"]), by=actor, at=at)
            return {"unit": code, "at": at.isoformat()}, [unit]

        # The fingerprint binds the key to the settings without putting the secret into the command log.
        import hashlib

        digest = hashlib.sha256(repr(sorted(settings.items())).encode("utf-8", "surrogatepass")).hexdigest()
        outcome = self._execute(actor, "unit.notification_settings_changed", {"unit": code, "settings": digest},
                                work, idempotency_key)
        return outcome, settings
