"""The one rule for the values commands carry (text, dates, lists); each failure names its field (→ 422).

The web layer's schemas check the same rule with the same limits (imported from here), so the API
answers 422 before a command runs; the domain checks again because the CLI, imports and the demo do
not pass through HTTP. Whatever passes here, every view can store.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from domain.categories import CATEGORY_CODES
from domain.charter import UNIT_CODES
from domain.errors import InvalidValue

SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Length limits, in characters, by kind of field.
NAME = 50            # a person's name, a display name
SHORT = 100          # a person's title, a chair, an invited guest
TITLE = 200          # titles, locations, absence reasons
REFERENCE = 500      # a plan's or instruction's reference, a milestone's description
TEXT = 2000          # reasons, comments, messages, opinions
LONG_TEXT = 5000     # progress texts, descriptions, summaries, backgrounds
MINUTES = 10000      # a minutes summary
NARRATIVE = 20000    # a report's narrative
FILE_NAME = 255
PHONE = 30
MINUTES_NUMBER = 50
KEY = 200            # an Idempotency-Key

# List limits.
MAX_EVIDENCE = 20
MAX_CO_UNITS = len(UNIT_CODES) - 1
MAX_MILESTONES = 12
MAX_MINUTE_ITEMS = 50
MAX_DISSENT = len(UNIT_CODES)
MAX_INVITED = 50
MAX_AGENDA = 20
MAX_ATTENDANCE = len(UNIT_CODES)

# Dates: a deadline or a meeting lies at most this far ahead; an instant to look back to lies in the window.
MAX_YEARS_AHEAD = 10
EARLIEST_INSTANT = datetime.fromisoformat("2000-01-01T00:00:00+08:00")
"""Before any coordination group kept a ledger (the Lucheng group was founded 2019-12-31)."""
LATEST_YEAR = 2199
"""The last year an instant may name (as_of): far enough for any deadline, short of calendar overflow."""

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Control characters other than tab and newline, lone surrogates and non-characters."""


def text_problem(value: str) -> str | None:
    """Why `value` is not acceptable text (None when it is): the one text rule."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"must be valid Unicode text (a lone surrogate U+{ord(char):04X} was found)"
    return f"must not contain the control character U+{ord(char):04X}"


def text(field: str, value: Any, *, max_length: int = TEXT, required: bool = True) -> str:
    """Text without control characters (tab and newline allowed) or lone surrogates, within a limit."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(field, "must be text")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    problem = text_problem(value)
    if problem:
        raise InvalidValue(field, problem)
    if required and not value:
        raise InvalidValue(field, "must not be empty")
    if len(value) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return value


def items(field: str, value: Any, *, max_items: int, required: bool = False) -> list[Any]:
    """A list of at most `max_items` entries."""
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise InvalidValue(field, "must be a list")
    if len(value) > max_items:
        raise InvalidValue(field, f"must have at most {max_items} entries")
    return value


def unit_code(field: str, value: Any) -> str:
    if value not in UNIT_CODES:
        raise InvalidValue(field, f"unknown unit code {value!r}"[:200])
    return value


def category(field: str, value: Any) -> str:
    if value not in CATEGORY_CODES:
        raise InvalidValue(field, f"unknown category; one of {', '.join(CATEGORY_CODES)}")
    return value


def a_date(field: str, value: Any) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidValue(field, "must be a date")
    return value


def latest_date(today: date) -> date:
    """The furthest a deadline or a meeting may lie ahead of `today`."""
    return date(min(today.year + MAX_YEARS_AHEAD, 9998), today.month, min(today.day, 28))


def date_ahead(field: str, value: Any, today: date) -> date:
    """A date no further than MAX_YEARS_AHEAD years after `today` (deadlines, extensions, meetings)."""
    value = a_date(field, value)
    if value > latest_date(today):
        raise InvalidValue(field, f"must be no later than {latest_date(today).isoformat()}")
    if value < EARLIEST_INSTANT.date():
        raise InvalidValue(field, f"must be no earlier than {EARLIEST_INSTANT.date().isoformat()}")
    return value


def instant(field: str, value: Any) -> datetime:
    """An instant to look at (as_of): aware, and within the years a ledger can mean."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValue(field, "must be an instant with a UTC offset")
    if not EARLIEST_INSTANT.year <= value.year <= LATEST_YEAR:
        raise InvalidValue(field, f"must lie in the years {EARLIEST_INSTANT.year}–{LATEST_YEAR}")
    return value


def percent(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidValue(field, "must be a whole number from 0 to 100")
    return value


def evidence(field: str, entries: Any) -> list[dict[str, str]]:
    """Evidence references: [{name, sha256}] — the files themselves live outside the log."""
    checked = []
    for index, item in enumerate(items(field, entries, max_items=MAX_EVIDENCE)):
        if not isinstance(item, dict) or set(item) != {"name", "sha256"}:
            raise InvalidValue(f"{field}.{index}", "must be {name, sha256}")
        name = text(f"{field}.{index}.name", item["name"], max_length=FILE_NAME)
        digest = item["sha256"]
        if not isinstance(digest, str) or not SHA256.match(digest.lower()):
            raise InvalidValue(f"{field}.{index}.sha256", "must be 64 hexadecimal characters")
        checked.append({"name": name, "sha256": digest.lower()})
    return checked
