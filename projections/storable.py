"""Values as PostgreSQL can store them, whatever an older event holds.

The domain refuses NUL, control characters and lone surrogates today, but the log is for ever: an
event written before that rule (or by another tool) must not stop a view. Text that PostgreSQL
cannot hold is stored with U+FFFD in place of each offending character; everything else is unchanged.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """NUL and lone surrogates replaced; other text unchanged (a C-speed search when there is none)."""
    return _UNSTORABLE.sub(REPLACEMENT, value) if _UNSTORABLE.search(value) else value


def storable(value: Any) -> Any:
    """`value` with every string in it made storable (lists, tuples and dict keys and values too)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(storable(v) for v in value)
    return value
