"""The light of an issue's running time limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.community.deadlines import DeadlineColour
from changji.community.issues import handling, limits
from changji.community.models import ResidentIssue
from tests.community.issues.test_intake import NOW, file

pytestmark = pytest.mark.django_db


def test_colour_turns_yellow_after_two_thirds_and_red_when_overdue(cats, community_world):
    issue = file(cats)  # property: 5 days at the grid
    assert limits.colour(issue, NOW + timedelta(days=1)) == DeadlineColour.GREEN
    assert limits.colour(issue, NOW + timedelta(days=3, hours=7)) == DeadlineColour.GREEN
    assert limits.colour(issue, NOW + timedelta(days=3, hours=9)) == DeadlineColour.YELLOW
    assert limits.colour(issue, NOW + timedelta(days=5)) == DeadlineColour.RED
    late = file(cats, code="noise", now=NOW - timedelta(days=3))  # 2 days: overdue by now
    found = limits.warnings(ResidentIssue.objects.all(), NOW + timedelta(days=4))
    assert [(i.pk, light) for i, light in found] == [(late.pk, DeadlineColour.RED), (issue.pk, DeadlineColour.YELLOW)]
    issue = handling.reject(issue, community_world.users.grid_a, NOW, "重复")
    assert limits.colour(issue, NOW + timedelta(days=10)) is None
    assert [i.pk for i, _ in limits.warnings(ResidentIssue.objects.all(), NOW + timedelta(days=4))] == [late.pk]
