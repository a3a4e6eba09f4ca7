"""The three rates of 接诉即办 on a hand-made set of issues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.community.issues import handling, rates
from changji.community.models import ResidentIssue
from tests.community.issues.test_intake import IN_C, NOW, file

pytestmark = pytest.mark.django_db


def test_the_three_rates_on_a_hand_made_set(cats, community_world):
    users = community_world.users
    on_time = file(cats)  # answered in 1 h, resolved, satisfied
    handling.accept(on_time, users.grid_a, NOW + timedelta(hours=1), "")
    handling.resolve(on_time, users.grid_a, NOW + timedelta(hours=5), "已修复")
    handling.feedback(on_time, True, NOW + timedelta(hours=6))
    late = file(cats)  # answered after 30 h (limit 24 h), resolved, not satisfied → reopened
    handling.accept(late, users.grid_a, NOW + timedelta(hours=30), "")
    handling.resolve(late, users.grid_a, NOW + timedelta(hours=40), "已修复")
    handling.feedback(late, False, NOW + timedelta(hours=41))
    file(cats)  # never answered: past its response limit at NOW + 48 h
    duplicate = file(cats)
    handling.reject(duplicate, users.grid_a, NOW + timedelta(hours=1), "重复", duplicate_of=on_time)  # counts nowhere
    file(cats, where=IN_C, now=NOW + timedelta(hours=47))  # in grid C, response not due yet

    counts = rates.counts_by_region(ResidentIssue.objects.all(), NOW + timedelta(hours=48))
    a, c = counts[community_world.grid_a.region_id], counts[community_world.grid_c.region_id]
    assert (a.total, a.response_due, a.responded_on_time, a.rated, a.satisfied) == (3, 3, 1, 2, 1)
    assert (c.total, c.response_due) == (1, 0) and c.response_rate is None
    whole = rates.total(counts.values())
    assert whole.total == 4
    assert whole.response_rate == pytest.approx(1 / 3)
    assert whole.resolution_rate == pytest.approx(1 / 4)
    assert whole.satisfaction_rate == pytest.approx(1 / 2)
