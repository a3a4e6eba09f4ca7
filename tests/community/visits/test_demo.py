"""The demo town's visits: care households from tagged residents, some overdue, visits, meetings filing issues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.community.demo import TownSize, build_town
from changji.community.models import CareHousehold, Household, IssueChannel, ResidentIssue, ResidentsMeeting, Visit
from changji.community.visits import service

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
SMALL = TownSize(grids=12, communities=3, residents=1_000, members=20, units=5, wishes=10, activities=10, issues=20,
                 service_points=2, visits=300)


def test_the_demo_town_has_care_households_some_overdue_visits_and_meetings():
    made = build_town(SMALL, now=NOW)
    assert made["visits"] == Visit.objects.count() >= SMALL.visits * 0.9
    households = Household.objects.count()
    assert 0 < CareHousehold.objects.count() <= households * 0.05 + 1
    assert all(e.tags and e.visit_every_days in (7, 14, 30) for e in CareHousehold.objects.all())
    rows = service.care_rows(service.with_last_visit(CareHousehold.objects.all()), NOW.date())
    overdue = [r for r in rows if r.overdue_days > 0]
    assert 0 < len(overdue) < len(rows)
    assert ResidentsMeeting.objects.count() == 12
    filed = ResidentIssue.objects.filter(raised_at_meeting__isnull=False)
    assert filed.exists() and set(filed.values_list("channel", flat=True)) == {IssueChannel.RESIDENTS_MEETING}
    assert set(Visit.objects.values_list("kind", flat=True)) == {"home", "secretary", "care", "compound"}
