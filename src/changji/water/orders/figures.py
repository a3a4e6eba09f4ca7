"""The arithmetic of the O&M contract review (运维考核): durations in hours, median and 90th percentile (pure).

Durations are hours from the order's dispatch (its assignment; its creation when it was never dispatched
separately) to arrival on site (响应时间) and to completion (修复时间). The median is the middle value (the mean of
the two middle values for an even count); the 90th percentile is the nearest rank (the value at rank ⌈0.9·n⌉ of
the sorted list), so it is always a measured duration. An empty list has neither (None).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

__pure__ = True  # no Django: tests/test_architecture.py checks it


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    """Hours from ``start`` to ``end``; None when either is missing."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    ordered = sorted(values)
    count = len(ordered)
    if not count:
        return None
    middle = count // 2
    return ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], share: float = 0.9) -> float | None:
    """The nearest-rank percentile (``share`` of 1), or None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
