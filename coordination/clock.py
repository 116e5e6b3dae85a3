"""The one service clock (DESIGN.md, Time): real time, optionally shifted by one fixed offset.

A deployment may start the clock at a given instant (COORDINATION_CLOCK_START). The offset is fixed
once, by the process that starts the service, and handed to every child process through
COORDINATION_CLOCK_OFFSET_MS, so that web workers and the projection worker agree to the millisecond.
A request can never set it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Protocol

from coordination.config import Settings

OFFSET_VARIABLE = "COORDINATION_CLOCK_OFFSET_MS"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current service instant, timezone-aware UTC."""


class SystemClock:
    """Real time, shifted by a fixed offset (zero unless the deployment set a start instant)."""

    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    @classmethod
    def from_settings(cls, settings: Settings) -> SystemClock:
        if settings.clock_offset_ms is not None:
            return cls(timedelta(milliseconds=settings.clock_offset_ms))
        if settings.clock_start is not None:
            offset = settings.clock_start - datetime.now(timezone.utc)
            return cls(timedelta(milliseconds=round(offset / timedelta(milliseconds=1))))
        return cls()

    def export_offset(self) -> None:
        """Fix this clock's offset for child processes started after this call."""
        os.environ[OFFSET_VARIABLE] = str(round(self.offset / timedelta(milliseconds=1)))


class ManualClock:
    """A clock that moves only when told to: tests, and the demo's scripted history."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        instant = instant.astimezone(timezone.utc)
        if instant < self._now:
            raise ValueError(f"the clock cannot go back from {self._now} to {instant}")
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)
