"""Monthly rollups: equal to the daily rows they sum, sealed once, recompiled by late data, never for the open month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from changji.water.models import DailyUsage, MonthlyUsage, SealedMonth
from changji.water.usage import monthly
from changji.water.usage.derive import rebuild_usage, update_for_readings
from tests.water.usage.test_reference import CST_MIDNIGHT_JULY_1, add_readings

pytestmark = pytest.mark.django_db


def test_split_span_reads_closed_whole_months_from_rollups_and_the_rest_from_days():
    span = monthly.split_span(date(2026, 5, 15), date(2026, 11, 20), today=date(2026, 11, 25))
    assert span.months == [date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1),
                           date(2026, 10, 1)]
    assert span.daily == [(date(2026, 5, 15), date(2026, 5, 31)), (date(2026, 11, 1), date(2026, 11, 20))]
    assert monthly.months_between(date(2026, 12, 31), date(2027, 1, 1)) == [date(2026, 12, 1), date(2027, 1, 1)]


def rounded(totals):
    return {well: {name: None if value is None else round(value, 6) for name, value in figures.items()}
            for well, figures in totals.items()}


def daily_totals(first, last):
    rows = DailyUsage.objects.filter(day__gte=first, day__lte=last)
    return {well: {name: row[f"sum_{name}"] for name in monthly.FIGURES}
            for well, row in ((r["well_id"], r) for r in rows.values("well_id").annotate(**monthly.DAILY_AGGREGATES))}


@pytest.fixture
def june_and_july(make_terminal):
    """Two wells pumping across the midnight between June and July 2026 (both months closed by now)."""
    terminals = [make_terminal("6523230001"), make_terminal("6523240002", county="652324")]
    for terminal in terminals:
        add_readings(terminal, CST_MIDNIGHT_JULY_1 - timedelta(days=2), 1000)
    rebuild_usage()
    return terminals


def test_sums_from_rollups_equal_the_daily_rows(june_and_july):
    june = monthly.sums(date(2026, 6, 1), date(2026, 6, 30))
    assert SealedMonth.objects.filter(month=date(2026, 6, 1)).exists()
    assert MonthlyUsage.objects.filter(month=date(2026, 6, 1)).count() == 2
    assert june == daily_totals(date(2026, 6, 1), date(2026, 6, 30))
    assert june[june_and_july[0].well_id]["water_m3"] == pytest.approx(48 * 12 * 5.0)  # June 29–30: 48 h of 5 m³/5 min
    both = monthly.sums(date(2026, 6, 1), date(2026, 7, 31))
    assert rounded(both) == rounded(daily_totals(date(2026, 6, 1), date(2026, 7, 31)))
    by_county = monthly.sums(date(2026, 6, 1), date(2026, 6, 30), "000000/650000/652300/652324/",
                             by="well__region_id")
    assert list(by_county) == ["652324"]


def test_late_data_in_a_sealed_month_recompiles_its_rollup(june_and_july):
    terminal = june_and_july[0]
    monthly.seal(date(2026, 6, 1))
    before = MonthlyUsage.objects.get(well=terminal.well, month=date(2026, 6, 1)).water_m3
    late = add_readings(terminal, CST_MIDNIGHT_JULY_1 - timedelta(days=3), 1, volume0=0.0)  # a reading before all
    update_for_readings(terminal.pk, late)
    after = MonthlyUsage.objects.get(well=terminal.well, month=date(2026, 6, 1))
    assert after.water_m3 == daily_totals(date(2026, 6, 1), date(2026, 6, 30))[terminal.well_id]["water_m3"]
    assert after.water_m3 != before


def test_the_open_month_has_no_rollup(june_and_july):
    today = date.today()
    assert monthly.refresh(None, today, today) == 0
    with pytest.raises(ValueError):
        monthly.seal(monthly.open_month())
