"""The statement of a small world: plan, cumulative over-plan, shares, rates, zones, registers, meter replacement."""

from datetime import date
from decimal import Decimal as D

import pytest

from changji.core.models import Region
from changji.water.tax.statement import tax_statement
from tests.water.tax.conftest import QUARTER_AT

pytestmark = pytest.mark.django_db


def test_quarter_statement_of_the_county(tax_world):
    statement = tax_statement("quarter", QUARTER_AT, Region.objects.get(code="652323"))
    assert (statement.first, statement.last) == (date(2026, 4, 1), date(2026, 6, 30))
    [user] = statement.users
    assert user.code == "652323-U1" and user.plan_m3 == D(1600) and user.used_before_m3 == D(1400)
    assert (user.counted_m3, user.within_m3, user.over_m3) == (D(1300), D(200), D(1100))
    a, b = user.lines
    assert (a.code, a.zone, a.use, a.source) == ("652323-A", "overdraft", "agricultural", "groundwater")
    assert (b.code, b.zone, b.use, b.licence) == ("652323-B", "normal", "industrial", "取水(呼)2025第1号")
    assert (a.over_m3, b.over_m3) == (D("846.15"), D("253.85"))
    assert (a.within_m3, b.within_m3) == (D("153.85"), D("46.15"))
    assert a.rate.rate_yuan_per_m3 == D("0.20") and a.tax.within_yuan == 0 and a.tax.over_yuan == D("338.46")
    assert (b.tax.within_yuan, b.tax.over_yuan) == (D("73.84"), D("1218.48"))
    assert user.amount_yuan == D("1630.78") == statement.totals["amount_yuan"]


def test_registers_at_the_boundaries_and_the_meter_replacement(tax_world):
    statement = tax_statement("quarter", QUARTER_AT, Region.objects.get(code="652323"))
    a, b = statement.users[0].lines
    assert (a.registers.start_volume_m3, a.registers.end_volume_m3) == (5100, 6100)
    assert (a.registers.start_energy_kwh, a.registers.end_energy_kwh) == (2550, 3050)
    # B reported neither on 03-31 nor on 06-30: its latest days before (02-01, 05-20) give the registers.
    assert (b.registers.start_volume_m3, b.registers.end_volume_m3) == (2500, 2800)
    assert a.notes == ["05-01 换表：旧表止码 5900，新表起码 0"] and b.notes == []
    assert (a.metered_m3, a.counted_m3) == (D(1000), D(1000)) and a.estimated_m3 == D(1050)


def test_the_months_of_the_quarter_add_up_to_the_quarter(tax_world):
    county = Region.objects.get(code="652323")
    months = [tax_statement("month", date(2026, m, 1), county).totals for m in (4, 5, 6)]
    quarter = tax_statement("quarter", QUARTER_AT, county).totals
    assert sum(m["over_m3"] for m in months) == quarter["over_m3"]
    assert sum(m["counted_m3"] for m in months) == quarter["counted_m3"]


def test_a_year_without_prior_use_and_the_first_quarter_within_plan(tax_world):
    county = Region.objects.get(code="652323")
    year = tax_statement("year", QUARTER_AT, county)
    assert year.users[0].used_before_m3 == 0 and year.totals["over_m3"] == D(2700 - 1600)
    first = tax_statement("quarter", date(2026, 2, 1), county)
    assert first.totals["over_m3"] == 0 and first.totals["counted_m3"] == D(1400)
    # Within the plan: A is exempt, B pays 500 × 1.60.
    assert first.totals["amount_yuan"] == D("800.00")


def test_without_a_plan_everything_is_within_and_the_user_is_marked(tax_world):
    from changji.water.models import Allocation

    Allocation.objects.all().delete()
    [user] = tax_statement("quarter", QUARTER_AT, Region.objects.get(code="652323")).users
    assert user.plan_m3 is None and user.over_m3 == 0 and user.notes == ["无年度计划（全部按计划内计征）"]


def test_one_user_and_the_prefecture(tax_world):
    prefecture = Region.objects.get(code="652300")
    assert [u.code for u in tax_statement("quarter", QUARTER_AT, prefecture).users] == ["652323-U1", "652324-U1"]
    only = tax_statement("quarter", QUARTER_AT, prefecture, "652324-U1")
    assert [u.code for u in only.users] == ["652324-U1"] and only.totals["counted_m3"] == D(70)
    assert only.users[0].lines[0].rate is None and only.users[0].lines[0].notes == ["无适用税额"]


def test_a_township_statement_holds_its_wells_only(tax_world):
    [user] = tax_statement("quarter", QUARTER_AT, Region.objects.get(code="652323100")).users
    assert [line.code for line in user.lines] == ["652323-A"] and user.plan_m3 == D(1100)


def test_registers_looked_up_earlier_are_the_same_when_many_wells_miss_one(tax_world, monkeypatch):
    from changji.water.tax import statement as module

    county = Region.objects.get(code="652323")
    named = tax_statement("quarter", QUARTER_AT, county).users[0].lines[1].registers
    monkeypatch.setattr(module, "MISSING_AS_LIST", 0)  # filter after the query instead of naming the wells in it
    filtered = tax_statement("quarter", QUARTER_AT, county).users[0].lines[1].registers
    assert named == filtered and (filtered.start_volume_m3, filtered.end_volume_m3) == (2500, 2800)


def test_demo_rates_and_areas_are_seeded_once(db):
    from changji.water.models import OverdraftArea, WaterTaxRate
    from changji.water.tax.demo import RATES, seed_tax_rates

    assert seed_tax_rates() == (len(RATES), 2) == seed_tax_rates()
    assert WaterTaxRate.objects.count() == len(RATES) and OverdraftArea.objects.count() == 2
    industrial = WaterTaxRate.objects.get(source="groundwater", use="industrial", zone="normal")
    assert D("1.0") <= industrial.rate_yuan_per_m3 <= D("2.0") and not industrial.exempt_within_plan
