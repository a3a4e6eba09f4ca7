"""Statutory limits in working days, across 2025 National Day / Mid-Autumn and the 2026 Spring Festival.

Holiday facts used below, as in chinesecalendar 1.11.0 (chinese_calendar/constants.py) and the State Council notices:

* 2025: Oct 1-8 off (Oct 6 is Mid-Autumn); Sun Sep 28 and Sat Oct 11 are make-up working days (调休上班).
* 2026: Feb 15-23 off (Spring Festival); Sat Feb 14 and Sat Feb 28 are make-up working days.
* The package's data covers 2004-2026 only; 2027 and 2030 fall back to Monday-Friday.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.services.workdays import (
    Clock,
    add_working_days,
    is_working_day,
    today_in_shanghai,
    working_days_between,
)

D = date


# --- is_working_day -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 9, 26), True),  # Friday
        (D(2025, 9, 27), False),  # Saturday
        (D(2025, 9, 28), True),  # Sunday, make-up working day
        (D(2025, 10, 1), False),  # National Day
        (D(2025, 10, 6), False),  # Mid-Autumn (Monday)
        (D(2025, 10, 8), False),  # last day off (Wednesday)
        (D(2025, 10, 9), True),  # Thursday, back at work
        (D(2025, 10, 11), True),  # Saturday, make-up working day
        (D(2025, 10, 12), False),  # Sunday
        (D(2026, 2, 14), True),  # Saturday, make-up working day
        (D(2026, 2, 15), False),  # Spring Festival holiday starts (Sunday)
        (D(2026, 2, 17), False),  # 春节 (Tuesday)
        (D(2026, 2, 23), False),  # last day off (Monday)
        (D(2026, 2, 24), True),  # Tuesday, back at work
        (D(2026, 2, 28), True),  # Saturday, make-up working day
        (D(2030, 10, 1), True),  # Tuesday: 2030 is beyond the package's data, so weekdays only
        (D(2030, 9, 28), False),  # Saturday in 2030
        (D(2027, 1, 1), True),  # Friday: 2027 not yet in the package either
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


def test_overrides_win_over_the_package_and_the_fallback():
    assert is_working_day(D(2025, 10, 1), {D(2025, 10, 1): True})
    assert not is_working_day(D(2025, 10, 9), {D(2025, 10, 9): False})  # a local holiday
    assert not is_working_day(D(2025, 10, 11), {D(2025, 10, 11): False})  # make-up day cancelled locally
    assert not is_working_day(D(2030, 10, 1), {D(2030, 10, 1): False})  # administrator's table for 2030
    assert is_working_day(D(2030, 9, 29), {D(2030, 9, 29): True})  # a 2030 make-up Sunday


def test_a_datetime_is_refused():
    with pytest.raises(TypeError):
        is_working_day(datetime(2025, 10, 9, 9, 0))


# --- add_working_days -----------------------------------------------------------------------------------------


def test_five_days_from_the_eve_of_national_day_2025():
    # Accepted Tue 2025-09-30 (does not count). Oct 1-8 are off. Day 1 Thu Oct 9, day 2 Fri Oct 10,
    # day 3 Sat Oct 11 (make-up working day), Sun Oct 12 off, day 4 Mon Oct 13, day 5 Tue Oct 14.
    assert add_working_days(D(2025, 9, 30), 5) == D(2025, 10, 14)


def test_the_sunday_make_up_day_before_national_day_counts():
    # Accepted Fri 2025-09-26: Sat 27 off, day 1 is Sun 28 (make-up), day 2 Mon 29, day 3 Tue 30,
    # then Oct 1-8 off, so day 4 is Thu Oct 9.
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
    assert add_working_days(D(2025, 9, 26), 4) == D(2025, 10, 9)


def test_accepted_during_the_holiday():
    # Accepted (online) on Fri 2025-10-03: the rest of the holiday does not count; day 1 is Thu Oct 9.
    assert add_working_days(D(2025, 10, 3), 1) == D(2025, 10, 9)


def test_zero_days_is_the_start_day_itself():
    assert add_working_days(D(2025, 10, 3), 0) == D(2025, 10, 3)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2025, 10, 3), -1)


def test_spring_festival_2026():
    # Accepted Thu 2026-02-12. Day 1 Fri Feb 13, day 2 Sat Feb 14 (make-up), Feb 15-23 off, day 3 Tue Feb 24,
    # day 4 Wed 25, day 5 Thu 26, day 6 Fri 27, day 7 Sat Feb 28 (make-up), day 8 Mon Mar 2.
    assert add_working_days(D(2026, 2, 12), 2) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert add_working_days(D(2026, 2, 12), 7) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 12), 8) == D(2026, 3, 2)
    # Accepted on the make-up Saturday itself: the next working day is after the whole holiday.
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)


def test_outside_the_package_data_weekends_are_the_only_days_off():
    # 2030 is unknown to the package: Fri Sep 27 + 1 is Mon Sep 30; +5 runs through the (not known) National Day:
    # Sep 30, Oct 1, 2, 3, 4.
    assert add_working_days(D(2030, 9, 27), 1) == D(2030, 9, 30)
    assert add_working_days(D(2030, 9, 27), 5) == D(2030, 10, 4)


def test_crossing_from_known_2026_into_unknown_2027():
    # Wed 2026-12-30: day 1 Thu Dec 31 (package), day 2 Fri 2027-01-01 (fallback: a weekday).
    assert add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 1)
    # With the administrator's table for New Year's Day 2027, day 2 becomes Mon Jan 4.
    assert add_working_days(D(2026, 12, 30), 2, {D(2027, 1, 1): False}) == D(2027, 1, 4)


def test_overrides_change_the_deadline():
    # A local holiday on Thu 2025-10-09 pushes the 5-day example from Oct 14 to Oct 15.
    assert add_working_days(D(2025, 9, 30), 5, {D(2025, 10, 9): False}) == D(2025, 10, 15)
    # Declaring Oct 1 a working day (e.g. a 24-hour service hall) makes it day 1.
    assert add_working_days(D(2025, 9, 30), 1, {D(2025, 10, 1): True}) == D(2025, 10, 1)
    # 2030 National Day as an administrator would enter it (Oct 1-7 off): +5 from Fri Sep 27 is Sep 30, Oct 8-11.
    national_day_2030 = {D(2030, 10, 1) + timedelta(days=i): False for i in range(7)}
    assert add_working_days(D(2030, 9, 27), 5, national_day_2030) == D(2030, 10, 11)


# --- working_days_between -------------------------------------------------------------------------------------


def test_working_days_between():
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 14)) == 5
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 8)) == 0  # all holiday
    assert working_days_between(D(2025, 9, 30), D(2025, 9, 30)) == 0
    assert working_days_between(D(2025, 10, 14), D(2025, 9, 30)) == 0
    # (Feb 12, Mar 1] in 2026: Feb 13, 14, 24, 25, 26, 27, 28 = 7 (Sun Mar 1 is off).
    assert working_days_between(D(2026, 2, 12), D(2026, 3, 1)) == 7


@settings(max_examples=200)
@given(st.dates(D(2003, 1, 1), D(2031, 12, 31)), st.integers(0, 60))
def test_add_and_between_agree(start, days):
    due = add_working_days(start, days)
    assert working_days_between(start, due) == days
    if days:
        assert is_working_day(due)
        assert working_days_between(start, due - timedelta(days=1)) == days - 1


# --- Clock ----------------------------------------------------------------------------------------------------


def test_clock_across_national_day_2025():
    clock = Clock(started=D(2025, 9, 30), limit_days=5)
    assert clock.due() == D(2025, 10, 14)
    assert clock.used(D(2025, 9, 29)) == 0  # before acceptance
    assert clock.used(D(2025, 10, 5)) == 0  # holiday: the clock does not run
    assert clock.used(D(2025, 10, 10)) == 2
    assert clock.remaining(D(2025, 10, 10)) == 3
    assert clock.warning(D(2025, 10, 10)) == "green"
    # Threshold max(1, 20 % of 5) = 1: Mon Oct 13 leaves 1 working day.
    assert clock.remaining(D(2025, 10, 13)) == 1
    assert clock.warning(D(2025, 10, 13)) == "yellow"
    assert clock.warning(D(2025, 10, 12)) == "green"  # Sunday after the make-up Saturday: 2 left
    # Due today: red but not yet overdue.
    assert clock.remaining(D(2025, 10, 14)) == 0
    assert clock.warning(D(2025, 10, 14)) == "red"
    assert not clock.overdue(D(2025, 10, 14))
    assert clock.remaining(D(2025, 10, 15)) == -1
    assert clock.warning(D(2025, 10, 15)) == "red"
    assert clock.overdue(D(2025, 10, 15))


def test_yellow_threshold_is_twenty_percent_of_the_limit():
    # 20 working days from 2025-09-30: Oct 9, 10, 11, 13-17, 20-24, 27-31, Nov 3, 4 -> due Tue 2025-11-04.
    clock = Clock(D(2025, 9, 30), 20)
    assert clock.due() == D(2025, 11, 4)
    assert clock.remaining(D(2025, 10, 28)) == 5
    assert clock.warning(D(2025, 10, 28)) == "green"
    assert clock.remaining(D(2025, 10, 29)) == 4  # 20 % of 20
    assert clock.warning(D(2025, 10, 29)) == "yellow"
    assert clock.warning(D(2025, 11, 4)) == "red"


def test_suspension_for_supplementary_material_moves_the_deadline():
    # Clock stopped for 2 working days while waiting for 补正 material: 5 + 2 = 7 working days after Sep 30:
    # Oct 9, 10, 11, 13, 14, 15, 16 -> Thu 2025-10-16.
    clock = Clock(D(2025, 9, 30), 5, suspended_days=2)
    assert clock.due() == D(2025, 10, 16)
    assert clock.used(D(2025, 10, 10)) == 0  # 2 elapsed - 2 suspended
    assert clock.used(D(2025, 10, 16)) == 5
    assert clock.warning(D(2025, 10, 16)) == "red"
    assert not clock.overdue(D(2025, 10, 16))


def test_extension_adds_days_but_the_threshold_follows_the_statutory_limit():
    # 5 + 5 = 10 working days after Sep 30: Oct 9, 10, 11, 13, 14, 15, 16, 17, 20, 21 -> Tue 2025-10-21.
    clock = Clock(D(2025, 9, 30), 5, extended_days=5)
    assert clock.due() == D(2025, 10, 21)
    assert clock.remaining(D(2025, 10, 14)) == 5
    assert clock.warning(D(2025, 10, 20)) == "yellow"
    assert not clock.overdue(D(2025, 10, 21))
    assert clock.overdue(D(2025, 10, 22))


def test_clock_due_on_a_make_up_saturday_2026():
    clock = Clock(D(2026, 2, 12), 7)
    assert clock.due() == D(2026, 2, 28)
    assert clock.remaining(D(2026, 2, 20)) == 5  # Feb 13, 14 used; the holiday does not run the clock
    assert clock.warning(D(2026, 2, 27)) == "yellow"
    assert clock.warning(D(2026, 2, 28)) == "red"
    assert clock.overdue(D(2026, 3, 1))


def test_clock_overrides_are_passed_through():
    local_holiday = {D(2025, 10, 9): False}
    clock = Clock(D(2025, 9, 30), 5)
    assert clock.due(local_holiday) == D(2025, 10, 15)
    assert clock.remaining(D(2025, 10, 14), local_holiday) == 1
    assert clock.warning(D(2025, 10, 14), local_holiday) == "yellow"
    assert not clock.overdue(D(2025, 10, 15), local_holiday)


def test_clock_is_frozen_and_checked():
    clock = Clock(D(2025, 9, 30), 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        clock.limit_days = 6  # type: ignore[misc]
    with pytest.raises(ValueError):
        Clock(D(2025, 9, 30), -1)
    with pytest.raises(ValueError):
        Clock(D(2025, 9, 30), 5, suspended_days=-1)
    with pytest.raises(TypeError):
        Clock(datetime(2025, 9, 30, 10), 5)


def test_today_in_shanghai_is_a_date():
    today = today_in_shanghai()
    assert type(today) is date
