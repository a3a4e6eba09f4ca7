"""The pure visit-due rule: intervals per tag, the next due day, the overdue days."""

from __future__ import annotations

from datetime import date

import pytest

from changji.community.visits import care


def test_the_interval_is_the_shortest_default_of_the_tags_unless_chosen():
    assert care.interval_for(["low_income"]) == 30
    assert care.interval_for(["low_income", "elderly_alone"]) == 7
    assert care.interval_for(["disabled", "low_income"]) == 14
    assert care.interval_for(["low_income", "elderly_alone"], 21) == 21
    assert care.interval_for([]) == care.FALLBACK_INTERVAL_DAYS


@pytest.mark.parametrize("chosen", [0, -1, care.MAX_INTERVAL_DAYS + 1])
def test_an_interval_out_of_range_is_refused(chosen):
    with pytest.raises(ValueError, match="走访周期"):
        care.interval_for(["disabled"], chosen)


def test_next_due_counts_from_the_last_visit_or_from_intake():
    assert care.next_due(date(2026, 3, 1), date(2026, 1, 1), 7) == date(2026, 3, 8)
    assert care.next_due(None, date(2026, 1, 1), 7) == date(2026, 1, 8)


def test_overdue_days_start_the_day_after_the_due_day():
    since, last = date(2026, 1, 1), date(2026, 2, 1)
    assert care.overdue_days(last, since, 7, date(2026, 2, 8)) == 0  # due today: not yet overdue
    assert care.overdue_days(last, since, 7, date(2026, 2, 9)) == 1
    assert care.overdue_days(None, since, 30, date(2026, 3, 3)) == 31
    assert care.overdue_days(last, since, 7, date(2026, 2, 2)) == 0
