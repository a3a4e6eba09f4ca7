"""The array path of daily usage equals the reference path in ``stats`` on every series it accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.water.usage import arrays, registers

SPEC = registers.RegisterSpec(capacity=1e8, max_rate_per_h=120.0, expected_interval_s=300.0)
START = datetime(2026, 6, 30, 15, 30, tzinfo=UTC)  # 23:30 local: series cross local midnight


def reference(times, values):
    samples = [registers.Sample(t, v) for t, v in zip(times, values, strict=True)]
    return registers.daily_usage(registers.segment_register(samples, SPEC))


def fast_days(times, values):
    epoch = np.array([t.timestamp() for t in times])
    return arrays.clean_daily_usage(epoch, np.array(values, dtype=float), SPEC)


steps = st.lists(
    st.tuples(st.integers(1, 900), st.floats(0, 1, allow_nan=False)), min_size=0, max_size=400
)


def series(start_value, pairs):
    times, values, at, value = [START], [start_value], START, start_value
    for seconds, share_of_rated in pairs:  # never more than the rated pump delivers
        at += timedelta(seconds=seconds)
        value += share_of_rated * SPEC.max_rate_per_h * seconds / 3600
        times.append(at)
        values.append(value)
    return times, values


@settings(max_examples=300, deadline=None)
@given(start_value=st.floats(0, 1e6, allow_nan=False), pairs=steps)
def test_clean_series_equal_the_reference(start_value, pairs):
    times, values = series(start_value, pairs)
    fast = fast_days(times, values)
    assert fast is not None  # every generated series is clean: the comparison below always runs
    slow = reference(times, values)
    assert fast.dates() == list(slow)
    for day, usage, last in zip(fast.dates(), fast.usage, fast.last_value, strict=True):
        assert usage == pytest.approx(slow[day].usage, rel=1e-9, abs=1e-9)
        assert last == slow[day].last_value
        assert not slow[day].kinds and not slow[day].spread


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(start_value=st.floats(0, 1e6, allow_nan=False), pairs=steps,
       fault=st.sampled_from(["dip", "reversal", "gap", "jump", "duplicate"]), where=st.integers(0, 399))
def test_any_non_normal_segment_sends_the_series_to_the_reference(start_value, pairs, fault, where):
    times, values = series(start_value, pairs)
    if len(times) < 2:
        return
    i = 1 + where % (len(times) - 1)
    if fault == "dip":
        values[i:] = [v - 0.01 - (values[i] - values[i - 1]) for v in values[i:]]
    elif fault == "reversal":
        values[i:] = [v - 1000 for v in values[i:]]
    elif fault == "gap":
        times[i:] = [t + timedelta(hours=2) for t in times[i:]]
    elif fault == "jump":
        values[i:] = [v + 10_000 for v in values[i:]]
    else:
        times[i] = times[i - 1]
    samples = [registers.Sample(t, v) for t, v in zip(times, values, strict=True)]
    kinds = {s.kind for s in registers.segment_register(samples, SPEC)}
    noise = any(s.noise for s in registers.segment_register(
        [registers.Sample(t, v) for t, v in zip(times, values, strict=True)], SPEC))
    assert fast_days(times, values) is None
    assert kinds - {registers.SegmentKind.NORMAL} or noise or fault == "duplicate"


def test_a_segment_ending_at_midnight_puts_its_usage_on_the_day_before():
    times = [START + timedelta(minutes=25), START + timedelta(minutes=30)]  # 23:55 and 00:00 local
    fast = fast_days(times, [10.0, 15.0])
    assert [str(d) for d in fast.dates()] == ["2026-06-30", "2026-07-01"]
    assert fast.usage.tolist() == [5.0, 0.0]
    assert fast.last_value.tolist() == [10.0, 15.0]


def test_one_reading_has_no_days_and_unequal_arrays_are_refused():
    assert fast_days([START], [1.0]).dates() == []
    with pytest.raises(ValueError):
        arrays.clean_daily_usage(np.array([0.0, 1.0]), np.array([1.0]), SPEC)
