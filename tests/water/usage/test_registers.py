"""Register segmentation and daily usage: every segment kind, local-day boundaries, late data, properties."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.core.localtime import SHANGHAI, day_bounds, local_day, month_of, quarter_of, year_of
from changji.water.usage.registers import (
    DayUsage,
    RegisterSpec,
    Replacement,
    Sample,
    Segment,
    SegmentKind,
    daily_usage,
    irrigation_season,
    running_intervals,
    segment_register,
)

K = SegmentKind
GAP_ONLY = frozenset({K.GAP})
SPEC = RegisterSpec()
DAY1 = datetime(2026, 5, 1, tzinfo=SHANGHAI)  # local midnight


def at(minutes: float, base: datetime = DAY1) -> datetime:
    return base + timedelta(minutes=minutes)


def readings(*pairs: tuple[float, float], base: datetime = DAY1) -> list[Sample]:
    return [Sample(at(m, base), v) for m, v in pairs]


def kinds_and_usage(segments: list[Segment]) -> list[tuple[SegmentKind, float]]:
    return [(s.kind, pytest.approx(s.usage)) for s in segments]


# --- segment_register: one kind at a time ---------------------------------------------------------------------


def test_normal_segments_are_differences_of_totals():
    segments = segment_register(readings((0, 100), (5, 101.25), (10, 101.25)), SPEC)
    assert kinds_and_usage(segments) == [(K.NORMAL, 1.25), (K.NORMAL, 0.0)]
    assert (segments[0].start, segments[0].end) == (at(0), at(5))
    assert (segments[0].start_value, segments[0].end_value) == (100, 101.25)


def test_rollover_at_capacity_counts_the_wrap():
    spec = RegisterSpec(capacity=1000)
    segments = segment_register(readings((0, 995), (5, 3), (10, 4)), spec)
    assert kinds_and_usage(segments) == [(K.ROLLOVER, 8.0), (K.NORMAL, 1.0)]  # 1000 - 995 + 3


def test_a_drop_that_is_not_near_both_ends_is_a_reversal_not_a_rollover():
    spec = RegisterSpec(capacity=1000)
    assert segment_register(readings((0, 995), (5, 500)), spec)[0].kind is K.REVERSAL  # 500 > 10% of capacity
    assert segment_register(readings((0, 800), (5, 3)), spec)[0].kind is K.REVERSAL  # 800 < 90% of capacity
    assert segment_register(readings((0, 995), (5, 3)), RegisterSpec())[0].kind is K.REVERSAL  # no capacity known


def test_replacement_between_samples_chains_old_and_new_meter():
    swap = Replacement(at(3), old_final=102, new_initial=0.5)
    segments = segment_register(readings((0, 100), (5, 1.5), (10, 2)), SPEC, [swap])
    assert kinds_and_usage(segments) == [(K.REPLACEMENT, 3.0), (K.NORMAL, 0.5)]  # (102-100) + (1.5-0.5)


def test_replacement_at_the_later_sample_belongs_to_the_segment_ending_there():
    swap = Replacement(at(5), old_final=101, new_initial=0)
    segments = segment_register(readings((0, 100), (5, 0), (10, 1)), SPEC, [swap])
    assert kinds_and_usage(segments) == [(K.REPLACEMENT, 1.0), (K.NORMAL, 1.0)]
    at_earlier = segment_register(readings((5, 100), (10, 101)), SPEC, [Replacement(at(5), 100, 0)])
    assert at_earlier[0].kind is K.NORMAL  # prev.at < t is strict: a swap at the earlier reading is before it


def test_two_replacements_between_samples_are_chained_in_time_order():
    swaps = [Replacement(at(4), old_final=0.5, new_initial=10), Replacement(at(2), old_final=101, new_initial=0)]
    segments = segment_register(readings((0, 100), (5, 10.25)), SPEC, swaps)
    assert kinds_and_usage(segments) == [(K.REPLACEMENT, 1.75)]  # 1 + 0.5 + 0.25


def test_replacement_takes_precedence_over_rollover_and_gap():
    spec = RegisterSpec(capacity=1000)
    swap = Replacement(at(60), old_final=998, new_initial=0)
    segments = segment_register(readings((0, 995), (120, 2)), spec, [swap])  # also a drop to the bottom, and a gap
    assert kinds_and_usage(segments) == [(K.REPLACEMENT, 5.0)]


def test_reversal_then_recovery_takes_the_new_baseline():
    segments = segment_register(readings((0, 100), (5, 90), (10, 91), (15, 92.5)), SPEC)
    assert kinds_and_usage(segments) == [(K.REVERSAL, 0.0), (K.NORMAL, 1.0), (K.NORMAL, 1.5)]


def test_small_dip_is_noise_and_the_rise_back_is_not_counted_twice():
    segments = segment_register(readings((0, 100), (5, 99.8), (10, 100.5), (15, 101)), SPEC)
    assert kinds_and_usage(segments) == [(K.NORMAL, 0.0), (K.NORMAL, 0.5), (K.NORMAL, 0.5)]
    assert [s.noise for s in segments] == [True, False, False]
    assert sum(s.usage for s in segments) == pytest.approx(101 - 100)


def test_dip_tolerance_is_inclusive_and_measured_from_the_kept_baseline():
    assert segment_register(readings((0, 100), (5, 99.5)), SPEC)[0].noise
    assert segment_register(readings((0, 100), (5, 99.4)), SPEC)[0].kind is K.REVERSAL
    # 99.8 is noise (baseline stays 100); 99.4 is 0.6 below the baseline, so a reversal.
    segments = segment_register(readings((0, 100), (5, 99.8), (10, 99.4), (15, 99.9)), SPEC)
    assert kinds_and_usage(segments) == [(K.NORMAL, 0.0), (K.REVERSAL, 0.0), (K.NORMAL, 0.5)]


def test_noise_dip_over_a_gap_stays_a_gap():
    segments = segment_register(readings((0, 100), (60, 99.9)), SPEC)
    assert kinds_and_usage(segments) == [(K.GAP, 0.0)]
    assert segments[0].noise


def test_impossible_jump_contributes_nothing_and_becomes_the_baseline():
    spec = RegisterSpec(max_rate_per_h=60)  # 5 m³ per 5 minutes, 7.5 with the 1.5 tolerance
    assert kinds_and_usage(segment_register(readings((0, 100), (5, 107.5)), spec)) == [(K.NORMAL, 7.5)]
    segments = segment_register(readings((0, 100), (5, 108), (10, 109)), spec)
    assert kinds_and_usage(segments) == [(K.IMPOSSIBLE_JUMP, 0.0), (K.NORMAL, 1.0)]


def test_a_one_reading_spike_never_becomes_usage():
    spec = RegisterSpec(max_rate_per_h=60)
    segments = segment_register(readings((0, 100), (5, 5000), (10, 100.5)), spec)
    assert kinds_and_usage(segments) == [(K.IMPOSSIBLE_JUMP, 0.0), (K.REVERSAL, 0.0)]


def test_gap_threshold_is_strictly_more_than_gap_factor_intervals():
    assert segment_register(readings((0, 100), (15, 101)), SPEC)[0].kind is K.NORMAL  # exactly 3 × 300 s
    assert kinds_and_usage(segment_register(readings((0, 100), (20, 101)), SPEC)) == [(K.GAP, 1.0)]


def test_gap_with_a_rise_beyond_the_rated_rate_is_an_impossible_jump():
    spec = RegisterSpec(max_rate_per_h=60)  # 60 minutes: at most 90 m³ with tolerance
    assert kinds_and_usage(segment_register(readings((0, 100), (60, 180)), spec)) == [(K.GAP, 80.0)]
    assert kinds_and_usage(segment_register(readings((0, 100), (60, 200)), spec)) == [(K.IMPOSSIBLE_JUMP, 0.0)]


def test_rollover_takes_precedence_over_gap():
    segments = segment_register(readings((0, 995), (60, 3)), RegisterSpec(capacity=1000))
    assert kinds_and_usage(segments) == [(K.ROLLOVER, 8.0)]


def test_duplicates_keep_the_last_given_and_order_does_not_matter():
    given_order = [Sample(at(10), 103), Sample(at(0), 100), Sample(at(5), 999), Sample(at(5), 101)]
    assert segment_register(given_order, SPEC) == segment_register(readings((0, 100), (5, 101), (10, 103)), SPEC)


def test_same_instant_in_another_timezone_is_a_duplicate():
    utc_twin = Sample(at(5).astimezone(UTC), 101)
    segments = segment_register([*readings((0, 100), (5, 500)), utc_twin], SPEC)
    assert kinds_and_usage(segments) == [(K.NORMAL, 1.0)]


def test_empty_and_single_sample_inputs_have_no_segments():
    assert segment_register([], SPEC) == []
    assert segment_register(readings((0, 100)), SPEC) == []
    assert daily_usage([]) == {}


def test_non_finite_readings_are_left_out():
    segments = segment_register(readings((0, 100), (5, float("nan")), (10, 101)), SPEC)
    assert kinds_and_usage(segments) == [(K.NORMAL, 1.0)]


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        segment_register([Sample(datetime(2026, 5, 1), 1.0), Sample(datetime(2026, 5, 1, 0, 5), 2.0)], SPEC)


# --- calendar -------------------------------------------------------------------------------------------------


def test_local_day_and_bounds_are_in_utc_plus_8():
    assert local_day(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert local_day(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    start, end = day_bounds(date(2027, 1, 1))
    assert (start, end) == (datetime(2026, 12, 31, 16, tzinfo=UTC), datetime(2027, 1, 1, 16, tzinfo=UTC))
    assert day_bounds(date(2027, 1, 1))[0].tzinfo is UTC


def test_month_quarter_year_and_season():
    assert month_of(date(2026, 8, 15)) == date(2026, 8, 1)
    assert [quarter_of(date(2026, m, 9)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        date(2026, 1, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 4, 1),
        date(2026, 7, 1), date(2026, 7, 1), date(2026, 10, 1), date(2026, 10, 1),
    ]
    assert year_of(date(2027, 1, 1)) == 2027
    assert irrigation_season(2026) == (date(2026, 4, 1), date(2026, 9, 30))


# --- daily_usage ----------------------------------------------------------------------------------------------


def test_segment_across_new_year_local_midnight_splits_by_time():
    start = datetime(2026, 12, 31, 15, 55, tzinfo=UTC)  # 23:55 local
    samples = [Sample(start, 100), Sample(start + timedelta(minutes=10), 102)]
    days = daily_usage(segment_register(samples, SPEC))
    assert days == {
        date(2026, 12, 31): DayUsage(date(2026, 12, 31), pytest.approx(1.0), 100, frozenset(), False),
        date(2027, 1, 1): DayUsage(date(2027, 1, 1), pytest.approx(1.0), 102, frozenset(), False),
    }
    assert {month_of(d) for d in days} == {date(2026, 12, 1), date(2027, 1, 1)}
    assert {year_of(d) for d in days} == {2026, 2027}


def test_rollover_across_month_end_marks_both_days():
    base = datetime(2026, 4, 30, 23, 58, tzinfo=SHANGHAI)
    segments = segment_register(readings((0, 998), (5, 3), base=base), RegisterSpec(capacity=1000))
    days = daily_usage(segments)
    assert days[date(2026, 4, 30)].usage == pytest.approx(2.0)  # 2 of 5 minutes of the 5 m³
    assert days[date(2026, 5, 1)].usage == pytest.approx(3.0)
    assert days[date(2026, 4, 30)].kinds == days[date(2026, 5, 1)].kinds == frozenset({K.ROLLOVER})
    assert (days[date(2026, 4, 30)].last_value, days[date(2026, 5, 1)].last_value) == (998, 3)


def test_segment_ending_exactly_at_midnight_puts_usage_before_and_the_reading_after():
    days = daily_usage(segment_register(readings((-5, 100), (0, 101)), SPEC))
    assert days[date(2026, 4, 30)] == DayUsage(date(2026, 4, 30), 1.0, 100, frozenset(), False)
    assert days[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), 0.0, 101, frozenset(), False)


def test_gap_is_spread_evenly_by_elapsed_time_without_running_information():
    # 22:00 on May 1 to 04:00 on May 2: 2 hours then 4 hours.
    days = daily_usage(segment_register(readings((22 * 60, 100), (28 * 60, 160)), SPEC))
    assert days[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), pytest.approx(20.0), 100, frozenset({K.GAP}), True)
    assert days[date(2026, 5, 2)] == DayUsage(date(2026, 5, 2), pytest.approx(40.0), 160, frozenset({K.GAP}), True)


def test_gap_is_spread_by_known_running_time():
    segments = segment_register(readings((22 * 60, 100), (28 * 60, 160)), SPEC)
    running = [(at(23 * 60), at(24 * 60 + 30)), (at(24 * 60 + 30), at(25 * 60))]  # 1 h May 1, 1 h May 2
    days = daily_usage(segments, running)
    assert (days[date(2026, 5, 1)].usage, days[date(2026, 5, 2)].usage) == (pytest.approx(30.0), pytest.approx(30.0))


def test_running_time_outside_the_gap_is_ignored_and_overlaps_are_not_double_counted():
    segments = segment_register(readings((22 * 60, 100), (28 * 60, 160)), SPEC)
    running = [(at(21 * 60), at(23 * 60)), (at(22 * 60), at(22 * 60 + 30)), (at(27 * 60), at(30 * 60))]
    days = daily_usage(segments, running)  # inside the gap: 22:00-23:00 May 1, 03:00-04:00 May 2
    assert (days[date(2026, 5, 1)].usage, days[date(2026, 5, 2)].usage) == (pytest.approx(30.0), pytest.approx(30.0))


def test_running_intervals_come_from_the_other_registers_pump_flags():
    energy = [
        Sample(at(24 * 60 + 10), 52, pump_on=False),
        Sample(at(22 * 60), 50, pump_on=True),
        Sample(at(23 * 60 + 30), 51, pump_on=True),
        Sample(at(24 * 60 + 30), 52, pump_on=None),
    ]
    running = running_intervals(energy)
    assert running == [(at(22 * 60), at(23 * 60 + 30)), (at(23 * 60 + 30), at(24 * 60 + 10))]
    days = daily_usage(segment_register(readings((22 * 60, 100), (28 * 60, 200)), SPEC), running)
    assert days[date(2026, 5, 1)].usage == pytest.approx(100 * 120 / 130)
    assert days[date(2026, 5, 2)].usage == pytest.approx(100 * 10 / 130)
    assert running_intervals([]) == []


def test_days_inside_a_gap_appear_even_with_no_usage():
    # May 1 20:00 to May 3 04:00, the pump known to run only on May 1.
    segments = segment_register(readings((20 * 60, 100), (52 * 60, 140)), SPEC)
    days = daily_usage(segments, [(at(21 * 60), at(23 * 60))])
    assert list(days) == [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]
    assert days[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), 40.0, 100, frozenset({K.GAP}), True)
    assert days[date(2026, 5, 2)] == DayUsage(date(2026, 5, 2), 0.0, None, frozenset({K.GAP}), True)
    assert days[date(2026, 5, 3)] == DayUsage(date(2026, 5, 3), 0.0, 140, frozenset({K.GAP}), True)


def test_reversal_and_jump_contribute_nothing_and_mark_their_end_day():
    spec = RegisterSpec(max_rate_per_h=60)
    pairs = (23 * 60 + 55, 100), (24 * 60, 50), (24 * 60 + 5, 51), (24 * 60 + 10, 900)
    segments = segment_register(readings(*pairs), spec)
    days = daily_usage(segments)
    assert days[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), 0.0, 100, frozenset(), False)
    assert days[date(2026, 5, 2)] == DayUsage(
        date(2026, 5, 2), 1.0, 900, frozenset({K.REVERSAL, K.IMPOSSIBLE_JUMP}), False
    )


def test_daily_usage_does_not_depend_on_segment_order():
    segments = segment_register(readings((23 * 60, 100), (23 * 60 + 5, 101), (24 * 60 + 30, 110)), SPEC)
    assert daily_usage(list(reversed(segments))) == daily_usage(segments)


def _every_five_minutes(day_count: int, rate_per_5min: float = 0.5) -> list[Sample]:
    return [Sample(at(5 * k), 1000 + rate_per_5min * k) for k in range(day_count * 288 + 1)]


def test_late_data_changes_only_the_days_it_touches():
    full = _every_five_minutes(3)  # 0.5 m³ per 5 minutes: 144 m³ a day
    # The terminal lost 22:00 May 1 – 04:00 May 2 (36 m³) and back-filled it later: idle until 02:00.
    lost = at(22 * 60), at(28 * 60)
    outage = [s for s in full if not lost[0] < s.at < lost[1]]
    before = daily_usage(segment_register(outage, SPEC))
    back_filled = [Sample(s.at, 1132.0 if s.at <= at(26 * 60) else s.value) for s in full if lost[0] < s.at < lost[1]]
    after = daily_usage(segment_register([*outage, *back_filled], SPEC))
    assert before[date(2026, 5, 3)] == after[date(2026, 5, 3)]  # untouched day: identical
    assert before[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), pytest.approx(132 + 12), 1132, GAP_ONLY, True)
    assert after[date(2026, 5, 1)] == DayUsage(date(2026, 5, 1), pytest.approx(132), 1132, frozenset(), False)
    assert before[date(2026, 5, 2)].usage == pytest.approx(24 + 120)  # 4 of the 6 gap hours, then 04:00–24:00
    assert after[date(2026, 5, 2)].usage == pytest.approx(36 + 120)  # all the lost water ran after midnight
    assert sum(d.usage for d in before.values()) == pytest.approx(sum(d.usage for d in after.values()))


def test_recomputing_an_affected_range_reproduces_its_interior_days():
    full = _every_five_minutes(4)
    everything = daily_usage(segment_register(full, SPEC))
    window = [s for s in full if at(20 * 60) <= s.at <= at(3 * 24 * 60 + 2 * 60)]  # May 1 20:00 to May 4 02:00
    partial = daily_usage(segment_register(window, SPEC))
    assert partial[date(2026, 5, 2)] == everything[date(2026, 5, 2)]
    assert partial[date(2026, 5, 3)] == everything[date(2026, 5, 3)]


# --- properties -----------------------------------------------------------------------------------------------

minute_offsets = st.integers(min_value=0, max_value=400 * 24 * 60)


@settings(max_examples=60, deadline=None)
@given(
    start=minute_offsets,
    first=st.floats(min_value=0, max_value=1e5),
    increments=st.lists(st.floats(min_value=0, max_value=50), min_size=1, max_size=700),
)
def test_monotone_register_daily_usage_sums_to_last_minus_first(start, first, increments):
    values = [first]
    for step in increments:
        values.append(values[-1] + step)
    samples = [Sample(at(start + 5 * k), v) for k, v in enumerate(values)]
    days = daily_usage(segment_register(samples, RegisterSpec(capacity=1e8)))
    assert sum(d.usage for d in days.values()) == pytest.approx(values[-1] - values[0], abs=1e-6)
    assert all(d.kinds == frozenset() for d in days.values())


random_specs = st.builds(
    RegisterSpec,
    capacity=st.sampled_from([None, 100.0, 1000.0]),
    max_rate_per_h=st.sampled_from([None, 10.0, 600.0]),
    dip_tolerance=st.sampled_from([0.0, 0.5, 5.0]),
)
random_samples = st.lists(
    st.builds(Sample, st.builds(at, st.integers(0, 5 * 24 * 60)), st.floats(-1e4, 1e4, allow_nan=False)),
    max_size=60,
)
random_swaps = st.lists(
    st.builds(Replacement, st.builds(at, st.integers(0, 5 * 24 * 60)), st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(samples=random_samples, spec=random_specs, swaps=random_swaps)
def test_usage_is_never_negative(samples, spec, swaps):
    segments = segment_register(samples, spec, swaps)
    assert all(s.usage >= 0 for s in segments)
    days = daily_usage(segments, running_intervals(samples))
    assert all(d.usage >= 0 for d in days.values())
    assert sum(d.usage for d in days.values()) == pytest.approx(sum(s.usage for s in segments), rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    values=st.dictionaries(st.integers(0, 3 * 24 * 60), st.floats(0, 1e4), min_size=2, max_size=80),
    seed=st.integers(0, 2**32 - 1),
    spec=random_specs,
)
def test_daily_usage_over_permuted_input_equals_sorted(values, seed, spec):
    ordered = [Sample(at(m), v) for m, v in sorted(values.items())]
    shuffled = list(ordered)
    random.Random(seed).shuffle(shuffled)
    assert daily_usage(segment_register(shuffled, spec)) == daily_usage(segment_register(ordered, spec))


def test_rollover_beyond_the_rated_rate_is_an_impossible_jump_not_a_spike():
    start = datetime(2026, 7, 1, tzinfo=UTC)
    spec = RegisterSpec(capacity=1e8, max_rate_per_h=60.0)
    samples = [Sample(start, 95_000_000.0), Sample(start + timedelta(minutes=5), 1_000_000.0)]
    [segment] = segment_register(samples, spec)
    assert (segment.kind, segment.usage) == (SegmentKind.IMPOSSIBLE_JUMP, 0.0)
    honest = [Sample(start, 99_999_998.0), Sample(start + timedelta(minutes=5), 2.0)]
    [wrap] = segment_register(honest, spec)
    assert (wrap.kind, wrap.usage) == (SegmentKind.ROLLOVER, pytest.approx(4.0))  # within 60 m³/h × 5 min × 1.5


def _naive_running_pieces(start, end, merged):
    """The spreading weights as first written: every running interval visited for every gap."""
    from changji.water.usage.registers import _day_pieces

    pieces: dict[date, float] = {}
    for run_start, run_end in merged:
        for day, seconds in _day_pieces(max(start, run_start), min(end, run_end)).items():
            pieces[day] = pieces.get(day, 0.0) + seconds
    return pieces


def test_gaps_visit_only_the_running_intervals_that_overlap_them_with_the_same_weights():
    from changji.water.usage.registers import _merge_intervals, _running_pieces

    rng = random.Random(7)
    runs = [(at(m), at(m + rng.uniform(10, 600))) for m in sorted(rng.uniform(0, 60 * 24 * 20) for _ in range(300))]
    merged = _merge_intervals(runs)
    ends = [end for _, end in merged]
    for _ in range(200):
        start = at(rng.uniform(-600, 60 * 24 * 21))
        end = start + timedelta(minutes=rng.uniform(0, 60 * 24 * 3))
        assert _running_pieces(start, end, merged, ends) == pytest.approx(_naive_running_pieces(start, end, merged))
