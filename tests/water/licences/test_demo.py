"""The demo's licences: every water user covered, a few expiring, one suspended, one well left unlicensed."""

from __future__ import annotations

from datetime import timedelta

from changji.core.localtime import today
from changji.water.licences.demo import seed_licences
from changji.water.models import Licence, WaterUser, Well, WellKind
from changji.water.sim.demo import seed_fleet


def test_seed_licences_covers_the_fleet_once(db):
    seed_fleet(120)
    made = seed_licences(today().year)
    users = WaterUser.objects.filter(wells__isnull=False).distinct()
    assert made == users.count() == Licence.objects.count()
    assert seed_licences(today().year) == 0  # idempotent
    unlicensed = Well.objects.filter(kind=WellKind.EXTRACTION, water_user__isnull=False, licences__isnull=True)
    assert unlicensed.count() == 1
    assert Licence.objects.filter(state="suspended").count() == 1
    day = today()
    assert Licence.objects.filter(state="valid", valid_to__lte=day + timedelta(days=30)).exists()
    assert Licence.objects.filter(state="valid", valid_to__gt=day + timedelta(days=30),
                                  valid_to__lte=day + timedelta(days=90)).exists()
    for licence in Licence.objects.prefetch_related("wells"):
        rated = sum(w.pump_rated_flow_m3h or 0 for w in licence.wells.all())
        assert abs(licence.permitted_m3_per_year - rated * 1500) <= 500 or licence.purpose != "agricultural"
        assert licence.issuing_authority.endswith("水利局")
        assert 0 < (licence.valid_to - licence.valid_from).days <= 6 * 366


def test_the_water_apps_demo_issues_licences_once(db, monkeypatch):
    from django.apps import apps

    monkeypatch.setenv("WELLS", "40")
    config = apps.get_app_config("water")
    first = config.prepare_demo()
    assert "licence(s) issued" in first and Licence.objects.exists()
    count = Licence.objects.count()
    assert "; 0 licence(s) issued" in config.prepare_demo() and Licence.objects.count() == count
