"""The demo town's organisations and 包联: most grids covered, not all; some organisations short of 全要素."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.community.demo import TownSize, build_town
from changji.community.models import Grid, GridPartyOrganisation, Liaison, LiaisonDuty, LiaisonKind
from changji.community.organisations import party
from changji.core.models import Region

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)


def test_the_demo_town_has_organisations_for_most_grids_and_liaisons_of_every_kind(make_user):
    size = TownSize(grids=24, communities=3, residents=300, members=90, units=9, wishes=20, activities=10, issues=20,
                    service_points=3)
    made = build_town(size, now=NOW, seed=7)
    assert made["organisations_and_liaisons"] == GridPartyOrganisation.objects.count() + Liaison.objects.count()
    superuser = make_user("demo-root", None, is_superuser=True)
    coverage = party.coverage(superuser, NOW.date())
    grids, covered = sum(c.grids for c in coverage), sum(c.covered_grids for c in coverage)
    complete = sum(c.complete for c in coverage)
    assert grids == Grid.objects.count() == 24
    assert grids // 2 < covered < grids
    assert 0 < complete < GridPartyOrganisation.objects.count()
    assert set(Liaison.objects.values_list("kind", flat=True)) == set(LiaisonKind.values)
    assert Liaison.objects.filter(compound__isnull=False).exists()
    assert LiaisonDuty.objects.filter(done_on__isnull=False).exists()
    assert Region.objects.filter(code__in=Liaison.objects.filter(kind="leader").values("region_id"),
                                 level=5).count() == 3
