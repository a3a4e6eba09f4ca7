"""The four venue targets (20/80/50/60) from plain numbers.

Exact thresholds, missing data, the least-used room, the pace of the year in progress.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from changji.community.venues.targets import VenueNumbers, assess_targets, year_elapsed_share

YEAR = 2026

AFTER_YEAR = date(2027, 3, 1)


def numbers(**overrides) -> VenueNumbers:
    values = {"region_code": "652328100001", "region_name": "东城社区", "office_area_before_m2": Decimal("100"),
              "office_area_m2": Decimal("80"), "service_area_m2": Decimal("320"), "residents": 100,
              "participants": 60, "rooms": ((1, "书画室", "文化", Decimal("40"), 50),)}
    values.update(overrides)
    return VenueNumbers(**values)


def test_every_target_is_met_exactly_at_its_threshold():
    """20 % cut, 80 % service share, 50 days and 60 % participation on the nose all count as met."""
    result = assess_targets(numbers(), YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [True, True, True, True]
    assert result.office_cut.value == pytest.approx(0.2) and result.office_cut.threshold == pytest.approx(0.2)
    assert result.service_share.value == pytest.approx(0.8)
    assert result.room_use.value == 50 and result.room_use.threshold == 50
    assert result.participation.value == pytest.approx(0.6)
    assert result.met_count == 4


def test_just_below_each_threshold_is_not_met():
    result = assess_targets(numbers(office_area_m2=Decimal("80.1"), service_area_m2=Decimal("319.9"),
                                    participants=59, rooms=((1, "书画室", "文化", Decimal("40"), 49),)),
                            YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [False, False, False, False]
    assert [r.name for r in result.rooms_below_target] == ["书画室"]


def test_the_comparison_is_exact_on_decimal_areas():
    """11 m² cut to 8.8 m² is exactly 20 % (floating point would make it 19.999… %)."""
    result = assess_targets(numbers(office_area_before_m2=Decimal("11"), office_area_m2=Decimal("8.8"),
                                    service_area_m2=Decimal("35.2")), YEAR, AFTER_YEAR)
    assert result.office_cut.met is True and result.service_share.met is True


def test_missing_data_gives_none_not_a_verdict():
    result = assess_targets(numbers(office_area_before_m2=None, office_area_m2=Decimal(0), service_area_m2=Decimal(0),
                                    residents=0, participants=0, rooms=()), YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [None, None, None, None]
    assert [t.value for t in result.targets] == [None, None, None, None]
    assert assess_targets(numbers(office_area_before_m2=Decimal(0)), YEAR, AFTER_YEAR).office_cut.met is None


def test_the_least_used_room_decides_the_50_day_target():
    rooms = ((1, "书画室", "文化", Decimal("40"), 80), (2, "舞蹈室", "文体", Decimal("60"), 12),
             (3, "图书室", "阅读", Decimal("30"), 50))
    result = assess_targets(numbers(rooms=rooms), YEAR, AFTER_YEAR)
    assert result.room_use.value == 12 and result.room_use.met is False
    assert [r.name for r in result.rooms_below_target] == ["舞蹈室"]
    assert [r.name for r in result.rooms] == ["舞蹈室", "图书室", "书画室"]  # least used first


def test_the_pace_of_the_year_in_progress_is_pro_rata():
    """On 2 July 2026 (day 183 of 365) a room needs 50 × 183/365 ≈ 25.07 days to be on pace."""
    today = date(2026, 7, 2)
    assert year_elapsed_share(YEAR, today) == pytest.approx(183 / 365)
    rooms = ((1, "书画室", "文化", Decimal("40"), 25), (2, "舞蹈室", "文体", Decimal("60"), 26))
    result = assess_targets(numbers(rooms=rooms), YEAR, today)
    assert result.pace_days == pytest.approx(50 * 183 / 365)
    assert [r.name for r in result.rooms_behind_pace] == ["书画室"]
    assert result.room_use.met is False  # on pace is not the annual target
    assert assess_targets(numbers(rooms=rooms), YEAR, AFTER_YEAR).pace_days == 50
    assert assess_targets(numbers(rooms=rooms), YEAR, date(2025, 12, 31)).pace_days == 0
    assert year_elapsed_share(2028, date(2028, 12, 31)) == 1  # leap year: day 366 of 366
