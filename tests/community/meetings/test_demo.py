"""The demo town's 四方联动 meetings: monthly per community, agendas over several grids, decisions some overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.community.demo import TownSize, build_town
from changji.community.models import AgreedAction, CoordinationMeeting, IssueEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_the_demo_town_holds_its_meetings():
    size = TownSize(grids=12, communities=3, residents=60, members=10, units=4, wishes=10, activities=6, issues=300,
                    service_points=2, meetings=36)
    made = build_town(size, now=NOW, seed=7)
    assert made["meetings"] == 36
    meetings = CoordinationMeeting.objects.all()
    assert {m.region.level for m in meetings} == {5}
    assert meetings.filter(held_at__gte=NOW - timedelta(days=366), held_at__lte=NOW).count() == 36
    assert meetings.exclude(absence_reason="").exists()  # a few went ahead without one party, saying why
    several = [m for m in meetings if len({i.region_id for i in m.agenda.all()}) >= 2]
    assert several and all(i.region_id.startswith(m.region_id) for m in meetings for i in m.agenda.all())
    assert AgreedAction.objects.filter(done_on__isnull=True, due_on__lt=NOW.date()).exists()  # some overdue
    assert AgreedAction.objects.filter(done_on__isnull=False).exists()
    assert IssueEvent.objects.filter(kind="meeting").count() == sum(m.agenda.count() for m in meetings)
    assert build_town(size, now=NOW, seed=7) == {}  # idempotent
