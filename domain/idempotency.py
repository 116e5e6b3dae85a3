"""The record of a command run under an Idempotency-Key, saved atomically with the command's events.

Its id derives from (username, key): a second record for the same key cannot be written, so a
repeated command finds the first one and returns its result instead of recording anything new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "coordination-ledger:idempotency")


class IdempotencyRecord(Aggregate):
    @staticmethod
    def create_id(username: str, key: str) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{username}\n{key}")

    @event("Recorded")
    def __init__(self, username: str, key: str, fingerprint: str, result: dict[str, Any], actor: dict, at: datetime):
        self.username = username
        self.key = key
        self.fingerprint = fingerprint
        self.result = result
