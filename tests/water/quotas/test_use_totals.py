"""_holder_total (rollups for closed months + days) against a plain sum of DailyUsage."""
from datetime import date

import pytest
from django.db.models import Sum

from changji.core.models import Region
from changji.water.models import Allocation, DailyUsage
from changji.water.quotas.sweep import used_m3
from changji.water.usage import monthly
from tests.water.quotas.test_sweep import make_user_holder, make_well

pytestmark = pytest.mark.django_db


def _raw(q, until):
    return DailyUsage.objects.filter(q, day__gte=date(until.year, 1, 1), day__lte=until).aggregate(
        t=Sum("usage_m3"))["t"] or 0.0


def test_holder_totals_equal_the_daily_sum():
    county = Region.objects.get(code="652323")
    user = make_user_holder("U-R1")
    w1, w2 = make_well(user=user), make_well()
    days = [date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 15),
            date(2025, 3, 31), date(2025, 12, 31), date(2026, 1, 1)]
    for n, day in enumerate(days):
        DailyUsage.objects.create(well=w1, day=day, usage_m3=10 + n, water_m3=10 + n, source="metered")
        DailyUsage.objects.create(well=w2, day=day, usage_m3=100 + n, water_m3=100 + n, source="metered")
    # No refresh, nothing sealed: the first read seals.
    a_well = Allocation.objects.create(year=2025, well=w1, allocation_m3=1e6)
    a_user = Allocation.objects.create(year=2025, water_user=user, allocation_m3=1e6)
    a_region = Allocation.objects.create(year=2025, region=county, allocation_m3=1e6)
    for until in (date(2025, 1, 1), date(2025, 2, 14), date(2025, 2, 28), date(2025, 12, 30), date(2025, 12, 31),
                  date(2026, 6, 1)):
        from django.db.models import Q
        assert used_m3(a_well, until) == _raw(Q(well=w1), min(until, date(2025, 12, 31)))
        assert used_m3(a_user, until) == _raw(Q(well__water_user=user), min(until, date(2025, 12, 31)))
        assert used_m3(a_region, until) == _raw(Q(well__region__path__startswith=county.path),
                                                min(until, date(2025, 12, 31)))


def test_a_late_day_in_a_sealed_month_written_without_refresh_is_missed():
    """Documented contract: every writer calls monthly.refresh. A direct ORM write is not seen (for the record)."""
    w = make_well()
    a = Allocation.objects.create(year=2025, well=w, allocation_m3=1000)
    DailyUsage.objects.create(well=w, day=date(2025, 3, 1), usage_m3=10, water_m3=10, source="metered")
    monthly.seal(date(2025, 3, 1))
    DailyUsage.objects.filter(well=w).update(usage_m3=900)  # e.g. an admin correction
    assert used_m3(a, date(2025, 6, 30)) == 10  # the rollup wins
