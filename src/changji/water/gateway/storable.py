r"""What the database can hold: decoded text and values made storable on SQLite and PostgreSQL.

A terminal chooses every byte it sends, and decoded text reaches text and JSON columns. PostgreSQL
refuses NUL (U+0000) in text and ``\u0000`` in jsonb, a lone surrogate cannot be encoded as UTF-8,
JSON has no NaN or infinity, and a varchar has a length. One such value used to fail the whole
batch it was committed in, and with it every other terminal's acknowledgement. The raw frame is
archived as bytes anyway, so storing a cleaned rendering loses nothing: NUL and surrogates become
U+FFFD, non-finite numbers become null, text is cut to its column.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: Any, limit: int | None = None) -> str:
    """Return ``value`` as text without NUL or lone surrogates, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text or not text.isascii():  # ASCII without NUL (the usual case) is storable as it is
        text = _UNSTORABLE.sub(REPLACEMENT, text)
    return text if limit is None else text[:limit]


def storable_number(value: Any) -> Any:
    """Return a canonical value for a float column: numbers as finite floats, else None; flags as is."""
    if value is None or isinstance(value, bool):
        return value
    if type(value) is float and math.isfinite(value):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def storable_json_text(value: Any) -> str:
    """Return ``value`` as JSON text that both databases accept (cleaned only when it must be)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        text = ""
    if text and "\\u0000" not in text and (text.isascii() or not _UNSTORABLE.search(text)):
        return text
    return json.dumps(storable_json(value), ensure_ascii=False, allow_nan=False)


def storable_json(value: Any) -> Any:
    """Return ``value`` as plain JSON data that both databases accept (keys and text cleaned)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, int | float):
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
