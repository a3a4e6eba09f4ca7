"""The demo's groundwater control: earlier years for the baseline, red lines, 超采区 over real wells; idempotent."""

from __future__ import annotations

from datetime import date

import pytest

from changji.water.groundwater import baseline
from changji.water.groundwater.demo import EARLIER_YEARS, seed_groundwater
from changji.water.groundwater.fusion import judged_series
from changji.water.groundwater.geometry import contains
from changji.water.models import ControlLevel, OverdraftZone, Reading, Well
from changji.water.sim.demo import seed_fleet

pytestmark = pytest.mark.django_db


def test_demo_groundwater_is_seeded_once_and_judges_on_a_seasonal_baseline():
    fleet = seed_fleet(40)
    first = date(2026, 1, 1)
    said = seed_groundwater(fleet, first, 2026)
    monitoring = Well.objects.filter(kind="monitoring", terminals__isnull=False).first()
    assert monitoring is not None and "red line" in said
    assert Reading.objects.filter(terminal__well=monitoring).count() == 365 * EARLIER_YEARS
    assert ControlLevel.objects.filter(well=monitoring).exists()
    zones = list(OverdraftZone.objects.order_by("-level", "name"))
    assert zones and zones[0].level == "severe"
    assert any(contains(zones[0].geometry, w.latitude, w.longitude) for w in Well.objects.filter(kind="extraction"))
    verdict = baseline.judge(judged_series(monitoring, date(2025, 7, 20)), date(2025, 7, 20),
                             ControlLevel.objects.get(well=monitoring).control_depth_m)
    assert verdict.basis == baseline.SEASONAL and not verdict.alarmed  # the normal summer drawdown
    assert seed_groundwater(fleet, first, 2026).startswith("0 earlier depth reading(s), 0 red line(s), 0 ")
