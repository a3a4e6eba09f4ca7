"""The light of a running time limit (community.deadlines), one set of names for wish claims and issues alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from changji.community.deadlines import DEADLINE_LABELS, DeadlineColour, deadline_colour

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DUE = START + timedelta(days=3)


def test_green_until_two_thirds_then_yellow_then_red_once_due():
    assert deadline_colour(START, DUE, START + timedelta(days=1)) == DeadlineColour.GREEN
    assert deadline_colour(START, DUE, START + timedelta(days=2)) == DeadlineColour.YELLOW
    assert deadline_colour(START, DUE, DUE) == DeadlineColour.RED
    assert deadline_colour(START, START, START - timedelta(hours=1)) == DeadlineColour.YELLOW  # no span left


def test_every_light_has_one_name():
    assert set(DEADLINE_LABELS) == set(DeadlineColour)
    assert DEADLINE_LABELS[DeadlineColour.RED] == "超期"
