"""The demo 定额 table and crop plans: realistic ranges, every irrigating user planned, idempotent."""

from __future__ import annotations

import pytest

from changji.water.models import CropPlan, QuotaNorm, Well
from changji.water.norms import demo, service

pytestmark = pytest.mark.django_db


def test_seed_norms_is_idempotent_and_plans_match_the_wells(db):
    from changji.water.sim.demo import seed_fleet

    seed_fleet(120)
    added, lines = demo.seed_norms(2026)
    assert added == QuotaNorm.objects.count() > 50 and lines == CropPlan.objects.count() > 0
    assert demo.seed_norms(2026) == (0, 0)
    cotton = QuotaNorm.objects.get(year=2026, category="棉花", method="drip", region=None)
    assert 300 <= cotton.value <= 380
    assert QuotaNorm.objects.get(year=2025, category="棉花", method="drip", region=None).value > cotton.value
    assert QuotaNorm.objects.get(year=2026, category="棉花", method="surface", region=None).value > 1.3 * cotton.value
    irrigating = set(Well.objects.filter(use="agricultural", kind="extraction", water_user__isnull=False)
                     .values_list("water_user", flat=True))
    assert set(CropPlan.objects.filter(year=2026).values_list("water_user", flat=True)) == irrigating
    ratios = []
    for user_id in irrigating:
        user = CropPlan.objects.filter(water_user_id=user_id).first().water_user
        capacity = sum(w.pump_rated_flow_m3h * demo.SEASON_HOURS
                       for w in Well.objects.filter(water_user=user, use="agricultural", kind="extraction"))
        ratios.append(service.suggested_volume_m3(user, 2026) / capacity)
    assert sum(0.85 <= r <= 1.1 for r in ratios) >= len(ratios) // 2
    assert any(r > 1.25 for r in ratios)  # some plant more than their wells' water allows by 定额
