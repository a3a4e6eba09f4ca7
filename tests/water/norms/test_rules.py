"""The pure 定额 rules: lookup precedence, suggested volume, use above plan vs above 定额, validation."""

from __future__ import annotations

import pytest

from changji.water.norms.rules import (
    NormRow,
    PlanLine,
    applicable_norm,
    excess,
    norm_problems,
    plan_line_problems,
    suggest,
)

TABLE = [
    NormRow(1, 2024, "crop", "棉花", None, "drip", 360, "m³/亩"),
    NormRow(2, 2026, "crop", "棉花", None, "drip", 340, "m³/亩"),
    NormRow(3, 2026, "crop", "棉花", "652323", "drip", 320, "m³/亩"),
    NormRow(4, 2026, "crop", "棉花", None, "surface", 520, "m³/亩"),
    NormRow(5, 2024, "crop", "小麦", "652323", "drip", 290, "m³/亩"),
    NormRow(6, 2025, "crop", "小麦", None, "drip", 300, "m³/亩"),
    NormRow(7, 2026, "industry", "棉花", None, "", 10, "m³/吨"),
]


def find(year, category, method, zone, kind="crop"):
    found = applicable_norm(TABLE, year=year, kind=kind, category=category, method=method, zone=zone)
    return found.id if found else None


def test_county_row_beats_the_prefecture_row_of_the_same_version():
    assert find(2026, "棉花", "drip", "652323") == 3
    assert find(2026, "棉花", "drip", "652324") == 2
    assert find(2026, "棉花", "drip", None) == 2


def test_a_year_without_a_version_uses_the_latest_earlier_one_and_never_a_later_one():
    assert find(2025, "棉花", "drip", "652323") == 1
    assert find(2030, "棉花", "drip", "652323") == 3
    assert find(2023, "棉花", "drip", "652323") is None


def test_the_newer_version_wins_over_an_older_county_row():
    assert find(2026, "小麦", "drip", "652323") == 6
    assert find(2024, "小麦", "drip", "652323") == 5


def test_another_irrigation_method_or_kind_is_never_substituted():
    assert find(2026, "棉花", "sprinkler", "652323") is None
    assert find(2026, "棉花", "", None, kind="industry") == 7
    assert find(2026, "棉花", "surface", "652323") == 4


def test_suggestion_sums_area_times_norm_and_lists_lines_without_a_norm():
    lines = [PlanLine(10, "棉花", 100, "drip", "652323"), PlanLine(11, "棉花", 50, "surface", "652323"),
             PlanLine(12, "葡萄", 30, "drip", "652323")]
    result = suggest(lines, TABLE, 2026)
    assert result.volume_m3 == pytest.approx(100 * 320 + 50 * 520)
    assert [(a.line.id, a.norm.id, a.volume_m3) for a in result.applied] == [(10, 3, 32000), (11, 4, 26000)]
    assert [line.id for line in result.missing] == [12]
    assert result.area_mu == 180


def test_a_crop_norm_in_another_unit_is_not_multiplied_by_area():
    table = [NormRow(1, 2026, "crop", "棉花", None, "drip", 340, "m³/万元")]
    assert suggest([PlanLine(1, "棉花", 10, "drip", None)], table, 2026).missing


def test_use_above_plan_and_above_norm_are_separate_and_never_negative():
    assert excess(1200, 1000) == 200
    assert excess(800, 1000) == 0
    assert excess(800, None) is None
    assert excess(0, 0) == 0


@pytest.mark.parametrize(("args", "field"), [
    (("crop", "棉花", "drip", 0, "m³/亩"), "value"),
    (("crop", "棉花", "drip", -3, "m³/亩"), "value"),
    (("crop", "棉花", "drip", None, "m³/亩"), "value"),
    (("crop", "棉花", "drip", 340, "m³/吨"), "unit"),
    (("crop", "棉花", "", 340, "m³/亩"), "method"),
    (("domestic", "城镇居民", "drip", 120, "L/人·日"), "method"),
    (("crop", " ", "drip", 340, "m³/亩"), "category"),
    (("crop", "棉花", "drip", 1e9, "m³/亩"), "value"),
    (("forestry", "杨树", "", 1, "m³/亩"), "kind"),
])
def test_norm_problems_name_the_field(args, field):
    assert field in [name for name, _ in norm_problems(*args)]


def test_a_good_norm_and_plan_line_have_no_problems():
    assert norm_problems("crop", "棉花", "drip", 340, "m³/亩") == []
    assert norm_problems("industry", "甲醇", "", 12, "m³/吨") == []
    assert plan_line_problems("棉花", 100, "drip") == []
    assert [f for f, _ in plan_line_problems("", 0, "flood")] == ["crop", "area_mu", "method"]
