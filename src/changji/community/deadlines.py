"""The green / yellow / red light of a running time limit (时限预警), shared by wish claims and issues (pure).

A limit runs from ``started_at`` to ``due_at``: green while less than two thirds of it is used, yellow
after that (临期), red once it is over (超期). ``DEADLINE_LABELS`` are the lights' names on every page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

__pure__ = True  # no Django: tests/test_architecture.py checks it


class DeadlineColour(StrEnum):
    GREEN = "green"  #: 正常
    YELLOW = "yellow"  #: 临期（已用时限的 2/3 以上）
    RED = "red"  #: 超期


#: The one name of each light (wish claims and issues alike).
DEADLINE_LABELS = {DeadlineColour.GREEN: "正常", DeadlineColour.YELLOW: "临期", DeadlineColour.RED: "超期"}

#: The share of the time limit after which a running deadline turns yellow.
YELLOW_FROM = 2 / 3


def deadline_colour(started_at: datetime, due_at: datetime, now: datetime) -> DeadlineColour:
    """The green / yellow / red light of a running deadline: red once overdue, yellow after 2/3 of it."""
    if now >= due_at:
        return DeadlineColour.RED
    span = due_at - started_at
    if span <= timedelta(0) or (now - started_at) >= span * YELLOW_FROM:
        return DeadlineColour.YELLOW
    return DeadlineColour.GREEN
