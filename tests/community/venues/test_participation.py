"""The participation rollup (``venues.participation``): kept as residents are served, rebuilt from served rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from changji.community import activities
from changji.community.jobs import rebuild_participation
from changji.community.models import Activity, ActivityServed, Resident, ResidentParticipation
from changji.community.venues import participation
from changji.community.venues.figures import venue_targets_for

pytestmark = pytest.mark.django_db


def _direct(codes: list[str], year: int) -> dict[str, int]:
    """The distinct residents served per community, counted from the served rows themselves."""
    found: dict[str, set[int]] = {}
    for served in ActivityServed.objects.filter(activity__held_on__year=year).select_related("activity"):
        community = served.activity.region_id[:12]
        if community in codes:
            found.setdefault(community, set()).add(served.resident_id)
    return {code: len(residents) for code, residents in found.items()}


def test_serving_residents_keeps_the_rollup_and_a_rebuild_gives_the_same(community_world):
    w = community_world
    residents = list(Resident.objects.filter(region__path__startswith=w.east.path))
    n = len(residents)
    assert n >= 2
    grid_activity = activities.record_activity(w.grid_a.region, "market", "便民集市", date(2026, 3, 1),
                                               organiser=w.users.east)
    community_activity = activities.record_activity(w.east, "market", "义诊", date(2026, 5, 1),
                                                    organiser=w.users.east)
    last_year = activities.record_activity(w.east, "market", "义剪", date(2025, 12, 31), organiser=w.users.east)
    activities.add_served(grid_activity, residents[:n - 1], actor=w.users.east)
    activities.add_served(community_activity, residents, actor=w.users.east)  # the first ones again: once a year
    activities.add_served(last_year, residents[:1], actor=w.users.east)
    codes = [w.east.code, w.west.code]
    assert participation.participants_by_community(codes, 2026) == _direct(codes, 2026) == {w.east.code: n}
    assert participation.participants_by_community(codes, 2025) == {w.east.code: 1}
    assert venue_targets_for([w.east], 2026, date(2026, 6, 1))[w.east.code].numbers.participants == n

    ResidentParticipation.objects.all().delete()  # drifted (a bulk load, a lost write): the job heals it
    rebuild_participation(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    assert participation.participants_by_community(codes, 2026) == {w.east.code: n}
    assert participation.participants_by_community(codes, 2025) == {w.east.code: 1}
    rows = sorted(ResidentParticipation.objects.values_list("community_id", "year", "resident_id"))
    assert participation.rebuild() == len(rows)
    assert sorted(ResidentParticipation.objects.values_list("community_id", "year", "resident_id")) == rows
    assert Activity.objects.count() == 3
