"""The pure rules of the monthly breakdown."""

from __future__ import annotations

import math

import pytest

from changji.core.errors import Refusal
from changji.water.plans import breakdown


def test_agricultural_default_follows_the_irrigation_season():
    months = breakdown.default_months(1_000_000, "agricultural")
    assert sum(months) == pytest.approx(1_000_000)
    assert months[0] == months[1] == months[11] == 0.0  # December–February: frozen ground
    assert months[6] == max(months)  # July peak
    assert all(m > 0 for m in months[3:9])  # April–September


@pytest.mark.parametrize("purpose", ["industrial", "domestic"])
def test_industrial_and_domestic_are_even(purpose):
    months = breakdown.default_months(1200, purpose)
    assert months == [100.0] * 12


def test_rounded_months_add_up_exactly():
    months = breakdown.default_months(1000, "industrial")
    assert math.isclose(sum(months), 1000, abs_tol=1e-6)
    assert all(m >= 0 for m in months)
    assert breakdown.default_months(0, "agricultural") == [0.0] * 12


def test_check_months_accepts_within_tolerance_and_refuses_otherwise():
    months = [100.0] * 12
    assert breakdown.check_months(1200.5, months) == months
    with pytest.raises(Refusal, match="不符") as refused:
        breakdown.check_months(1300, months)
    assert refused.value.field == "monthly_m3"
    with pytest.raises(Refusal, match="负数"):
        breakdown.check_months(1000, [-200.0] + [100.0] * 11)
    with pytest.raises(Refusal, match="12 个月"):
        breakdown.check_months(1100, [100.0] * 11)
    with pytest.raises(Refusal, match="数值"):
        breakdown.check_months(1200, [math.nan] + [100.0] * 11)


def test_check_volume_refuses_negative_and_non_finite():
    assert breakdown.check_volume(5) == 5.0
    for bad in (-1, math.inf, math.nan, True):
        with pytest.raises(Refusal):
            breakdown.check_volume(bad)


def test_seasons_spread_over_their_months():
    months = breakdown.from_seasons({"spring": 300, "summer": 300, "autumn": 300, "winter": 300}, "industrial")
    assert months == [100.0] * 12
    farm = breakdown.from_seasons({"summer": 650, "winter": 90}, "agricultural")
    assert sum(farm[5:8]) == pytest.approx(650)
    assert farm[6] > farm[5]  # weighted within the season
    assert farm[11] == farm[0] == farm[1] == 30.0  # winter irrigation asked for: even over its months
    with pytest.raises(Refusal, match="未知季节"):
        breakdown.from_seasons({"monsoon": 1}, "agricultural")


def test_scaled_keeps_the_shape_and_plan_to_date():
    months = breakdown.default_months(1000, "agricultural")
    half = breakdown.scaled(months, 500)
    assert sum(half) == pytest.approx(500)
    assert half[6] == pytest.approx(months[6] / 2)
    assert breakdown.plan_to_date([100.0] * 12, 3) == 300
    assert breakdown.plan_to_date([100.0] * 12, 0) == 0
