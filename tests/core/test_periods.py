"""The periods of recurring jobs are Asia/Shanghai minutes, hours, days and months (``core.periods``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.core.localtime import SHANGHAI
from changji.core.periods import Period, due, shift, start_of

LOCAL_MIDNIGHT_JULY_2 = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize("period, moment, start", [
    (Period.MINUTELY, datetime(2026, 7, 1, 15, 59, 59, 999, tzinfo=UTC), local(2026, 7, 1, 23, 59)),
    (Period.HOURLY, datetime(2026, 7, 1, 15, 59, tzinfo=UTC), local(2026, 7, 1, 23)),
    (Period.DAILY, LOCAL_MIDNIGHT_JULY_2 - timedelta(microseconds=1), local(2026, 7, 1)),
    (Period.DAILY, LOCAL_MIDNIGHT_JULY_2, local(2026, 7, 2)),  # UTC is still on 1 July: the local day counts
    (Period.MONTHLY, datetime(2026, 7, 31, 16, 0, tzinfo=UTC), local(2026, 8, 1)),
    (Period.MONTHLY, datetime(2026, 7, 31, 15, 59, tzinfo=UTC), local(2026, 7, 1)),
])
def test_a_period_starts_on_the_local_clock(period, moment, start):
    assert start_of(period, moment) == start
    assert start_of(period, moment).utcoffset() == timedelta(hours=8)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        start_of(Period.DAILY, datetime(2026, 7, 1))


def test_shift_moves_by_whole_periods_across_months_and_years():
    assert shift(Period.MONTHLY, local(2026, 11, 1), 3) == local(2027, 2, 1)
    assert shift(Period.MONTHLY, local(2026, 1, 1), -1) == local(2025, 12, 1)
    assert shift(Period.DAILY, local(2026, 3, 1), -1) == local(2026, 2, 28)
    assert shift(Period.HOURLY, local(2026, 7, 1, 23), 1) == local(2026, 7, 2, 0)


def test_due_periods_are_the_latest_look_back_oldest_first_and_never_before_the_first_run():
    now = local(2026, 7, 5, 3, 10)
    assert due(Period.DAILY, now, 3) == [local(2026, 7, 3), local(2026, 7, 4), local(2026, 7, 5)]
    assert due(Period.DAILY, now, 7, since=local(2026, 7, 4)) == [local(2026, 7, 4), local(2026, 7, 5)]
    assert due(Period.MINUTELY, now, 1) == [local(2026, 7, 5, 3, 10)]
    assert due(Period.MONTHLY, now, 3) == [local(2026, 5, 1), local(2026, 6, 1), local(2026, 7, 1)]
    # a moment before the first run (an operator's --at in the past) still runs its own period
    assert due(Period.DAILY, local(2026, 6, 1, 8), 7, since=local(2026, 7, 4)) == [local(2026, 6, 1)]
    with pytest.raises(ValueError):
        due(Period.DAILY, now, 0)
