"""The pure tax rules walked case by case: exemption, within/over plan, the cumulative rule, multiplier, rounding."""

from datetime import date
from decimal import Decimal as D

import pytest

from changji.water.tax import rules

AGRI = rules.Rate("groundwater", "agricultural", "normal", D("0.1"), D("2"), True, 2024)
INDUSTRY = rules.Rate("groundwater", "industrial", "normal", D("1.6"), D("3"), False, 2024)


def test_no_plan_counts_everything_within():
    assert rules.split_plan(None, D(500), D(100)) == rules.PlanSplit(D(100), D(0))


@pytest.mark.parametrize(("before", "used", "within", "over"), [
    (D(0), D(800), D(800), D(0)),          # within the plan
    (D(0), D(1000), D(1000), D(0)),        # exactly the plan
    (D(0), D(1300), D(1000), D(300)),      # a year over the plan
    (D(900), D(300), D(100), D(200)),      # a quarter crossing the plan
    (D(1200), D(300), D(0), D(300)),       # already over before the quarter
])
def test_split_at_the_plan_is_cumulative_over_the_year(before, used, within, over):
    assert rules.split_plan(D(1000), before, used) == rules.PlanSplit(within, over)


def test_the_quarters_of_a_year_add_up_to_the_year():
    plan, quarters = D(1000), [D(400), D(350), D(300), D(250)]
    before, over = D(0), D(0)
    for used in quarters:
        over += rules.split_plan(plan, before, used).over_m3
        before += used
    assert over == rules.split_plan(plan, D(0), sum(quarters)).over_m3 == D(300)


def test_agricultural_within_the_limit_is_exempt_and_over_pays_the_multiple():
    tax = rules.tax_of(rules.PlanSplit(D(1000), D(300)), AGRI)
    assert tax.within_yuan == 0 and tax.over_yuan == D("60.00") and tax.amount_yuan == D("60.00")


def test_industrial_pays_within_and_triple_over():
    tax = rules.tax_of(rules.PlanSplit(D(100), D(10)), INDUSTRY)
    assert (tax.within_yuan, tax.over_yuan, tax.amount_yuan) == (D("160.00"), D("48.00"), D("208.00"))


def test_money_is_rounded_half_up_to_the_fen_per_part():
    rate = rules.Rate("groundwater", "industrial", "normal", D("0.125"), D("2"), False, 2024)
    tax = rules.tax_of(rules.PlanSplit(D("0.20"), D("0.02")), rate)
    # 0.20 × 0.125 = 0.025 → 0.03 (half up, not banker's 0.02); 0.02 × 0.125 × 2 = 0.005 → 0.01
    assert (tax.within_yuan, tax.over_yuan, tax.amount_yuan) == (D("0.03"), D("0.01"), D("0.04"))


def test_without_a_rate_no_tax_is_computed():
    assert rules.tax_of(rules.PlanSplit(D(10), D(5)), None).amount_yuan == 0


def test_volumes_are_kept_to_the_hundredth_and_never_negative():
    assert rules.volume(12.345) == D("12.35") and rules.volume(None) == 0 and rules.volume(-3.0) == 0


def test_apportion_shares_in_proportion_and_adds_up_exactly():
    shares = rules.apportion(D("100.00"), [D(1), D(1), D(1)])
    assert shares == [D("33.34"), D("33.33"), D("33.33")] and sum(shares) == D("100.00")
    assert rules.apportion(D("10.00"), [D(300), D(100)]) == [D("7.50"), D("2.50")]
    assert rules.apportion(D("1.00"), [D(0), D(0)]) == [D("0.50"), D("0.50")]
    assert rules.apportion(D(0), [D(5)]) == [D(0)] and rules.apportion(D(3), []) == []


def test_choose_rate_by_year_and_zone_with_fallback_to_milder_zones():
    old = rules.Rate("groundwater", "industrial", "normal", D("1.0"), D("2"), False, 2018, 2023)
    severe = rules.Rate("groundwater", "industrial", "severe", D("2.4"), D("3"), False, 2024)
    table = [old, INDUSTRY, severe]
    assert rules.choose_rate(table, "groundwater", "industrial", "normal", 2022) is old
    assert rules.choose_rate(table, "groundwater", "industrial", "normal", 2026) is INDUSTRY
    assert rules.choose_rate(table, "groundwater", "industrial", "overdraft", 2026) is INDUSTRY
    assert rules.choose_rate(table, "groundwater", "industrial", "severe", 2026) is severe
    assert rules.choose_rate(table, "surface", "industrial", "normal", 2026) is None
    assert rules.choose_rate(table, "groundwater", "industrial", "normal", 2017) is None


def test_zone_of_a_region_within_designated_areas():
    areas = [rules.Designation("86/65/652300/652323/", "overdraft", date(2020, 1, 1)),
             rules.Designation("86/65/652300/652323/652323100/", "severe", date(2025, 6, 1), date(2027, 1, 1))]
    assert rules.zone_of("86/65/652300/652324/", areas, date(2026, 1, 1)) == "normal"
    assert rules.zone_of("86/65/652300/652323/652323200/", areas, date(2026, 1, 1)) == "overdraft"
    assert rules.zone_of("86/65/652300/652323/652323100/001/", areas, date(2026, 1, 1)) == "severe"
    assert rules.zone_of("86/65/652300/652323/652323100/", areas, date(2025, 1, 1)) == "overdraft"
    assert rules.zone_of("86/65/652300/652323/652323100/", areas, date(2027, 1, 1)) == "overdraft"
