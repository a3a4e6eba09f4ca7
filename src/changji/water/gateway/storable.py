"""What the database can hold: decoded text and values made storable on SQLite and PostgreSQL.

A terminal chooses every byte it sends, and decoded text reaches text and JSON columns. PostgreSQL
refuses NUL (U+0000) in text and ``\\u0000`` in jsonb, a lone surrogate cannot be encoded as UTF-8,
JSON has no NaN or infinity, and a varchar has a length. One such value used to fail the whole
batch it was committed in, and with it every other terminal's acknowledgement. The raw frame is
archived as bytes anyway, so storing a cleaned rendering loses nothing: NUL and surrogates become
U+FFFD, non-finite numbers become null, text is cut to its column.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: Any, limit: int | None = None) -> str:
    """Return ``value`` as text without NUL or lone surrogates, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSTORABLE.sub(REPLACEMENT, text)
    return text if limit is None else text[:limit]


def storable_number(value: Any) -> Any:
    """Return ``value`` unless it is a non-finite float (NaN, infinity), which becomes None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def storable_json(value: Any) -> Any:
    """Return ``value`` as plain JSON data that both databases accept (keys and text cleaned)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return storable_number(value)
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [storable_json(item) for item in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex().upper()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return storable_text(value)
