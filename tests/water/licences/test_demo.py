"""The demo's licences: every water user covered, a few expiring, one suspended, one well left unlicensed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.core.localtime import today
from changji.water.licences.demo import HOURS, seed_licences
from changji.water.models import Licence, WaterUser, Well, WellKind
from changji.water.sim.demo import seed_fleet


def test_seed_licences_covers_the_fleet_once(db):
    seed_fleet(120)
    made = seed_licences(today().year)
    users = WaterUser.objects.filter(wells__isnull=False).distinct()
    assert made == users.count() == Licence.objects.filter(source="groundwater").count()
    assert seed_licences(today().year) == 0  # idempotent
    unlicensed = Well.objects.filter(kind=WellKind.EXTRACTION, water_user__isnull=False, licences__isnull=True)
    assert unlicensed.count() == 1
    suspended = Licence.objects.get(state="suspended")
    assert suspended.source == "surface" and not suspended.wells.exists()  # the wells stay licensed
    day = today()
    assert Licence.objects.filter(state="valid", valid_to__lte=day + timedelta(days=30)).exists()
    assert Licence.objects.filter(state="valid", valid_to__gt=day + timedelta(days=30),
                                  valid_to__lte=day + timedelta(days=90)).exists()
    for licence in Licence.objects.prefetch_related("wells"):
        rated = sum(w.pump_rated_flow_m3h or 0 for w in licence.wells.all())
        if licence.purpose == "agricultural" and licence.source == "groundwater":
            assert abs(licence.permitted_m3_per_year - rated * HOURS["agricultural"]) <= 500
        assert licence.issuing_authority.endswith("水利局")
        assert 0 < (licence.valid_to - licence.valid_from).days <= 6 * 366


@pytest.mark.parametrize("days_ago", [10, 1])
def test_the_well_left_out_pumps_unlicensed_then_is_licensed_late(db, days_ago):
    from changji.water.licences.demo import licence_late_wells
    from changji.water.models import Alarm, DailyUsage

    seed_fleet(40)
    seed_licences(today().year)
    well = Well.objects.get(kind=WellKind.EXTRACTION, water_user__isnull=False, licences__isnull=True)
    DailyUsage.objects.create(well=well, day=today() - timedelta(days=days_ago), usage_m3=80.0, water_m3=80.0)
    assert licence_late_wells() == 1
    alarm = Alarm.objects.get(kind="unlicensed", well=well)
    assert alarm.evidence["day"] == (today() - timedelta(days=days_ago)).isoformat()
    assert alarm.state == "auto_cleared"  # cleared once the late licence covered the well
    assert well.licences.get().valid_from == today() - timedelta(days=days_ago - 1)
    assert licence_late_wells() == 0
