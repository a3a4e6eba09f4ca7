"""The bureau's KPIs on small hand-made sets of terminal-days, including zero denominators."""

from __future__ import annotations

import pytest

from changji.water.kpi.definitions import KpiFigures, TerminalDay, compute_kpis


def day(terminal_id=1, expected=288, received=288, faulty=False, total=288, valid=288, metered=None,
        estimated=None) -> TerminalDay:
    return TerminalDay(terminal_id, expected, received, faulty, total, valid, metered, estimated)


SAMPLE = [
    day(1, received=288, total=288, valid=288, metered=100.0, estimated=110.0),  # agrees (0.1)
    day(2, received=144, faulty=True, total=144, valid=140, metered=50.0, estimated=70.0),  # 0.4: disagrees
    day(3, received=0, faulty=True, total=0, valid=0, metered=None, estimated=30.0),  # not judged
    day(1, received=300, total=300, valid=290, metered=0.5, estimated=0.4),  # below 1 m³: not judged
]


def test_sample_by_hand():
    figures = compute_kpis(SAMPLE)
    assert figures.terminals == 3
    assert figures.intact_rate == 2 / 4
    assert figures.online_rate == 3 / 4
    assert figures.arrival_rate == (288 + 144 + 0 + 288) / (4 * 288)  # 300 received counts as 288
    assert figures.accuracy_rate == (288 + 140 + 0 + 290) / (288 + 144 + 0 + 300)
    assert figures.agreement_rate == 1 / 2


def test_no_days_gives_no_rates():
    assert compute_kpis([]) == KpiFigures(0, None, None, None, None, None)


def test_days_with_nothing_expected_count_only_for_intactness():
    figures = compute_kpis([day(1, expected=0, received=0, total=0, valid=0)])
    assert figures.terminals == 1 and figures.intact_rate == 1.0
    assert figures.online_rate is None and figures.arrival_rate is None and figures.accuracy_rate is None
    assert figures.agreement_rate is None


def test_extra_reports_do_not_hide_missing_ones():
    figures = compute_kpis([day(1, received=576), day(2, received=0)])
    assert figures.arrival_rate == 0.5 and figures.online_rate == 0.5


@pytest.mark.parametrize(("estimated", "agrees"), [(120.0, True), (80.0, True), (120.5, False), (79.5, False)])
def test_agreement_tolerance_is_inclusive_and_relative_to_the_meter(estimated, agrees):
    assert compute_kpis([day(metered=100.0, estimated=estimated)]).agreement_rate == (1.0 if agrees else 0.0)


def test_agreement_tolerance_can_be_set():
    assert compute_kpis([day(metered=100.0, estimated=130.0)], agreement_tolerance=0.3).agreement_rate == 1.0
    assert compute_kpis([day(metered=100.0, estimated=105.0)], agreement_tolerance=0.01).agreement_rate == 0.0


@pytest.mark.parametrize(("metered", "estimated"), [(None, 10.0), (10.0, None), (0.99, 10.0), (10.0, 0.99)])
def test_agreement_needs_both_volumes_of_at_least_one_m3(metered, estimated):
    assert compute_kpis([day(metered=metered, estimated=estimated)]).agreement_rate is None


def test_a_month_is_weighted_by_terminal_days():
    month = [day(1, faulty=d < 3) for d in range(30)] + [day(2) for _ in range(30)]
    assert compute_kpis(month).intact_rate == 57 / 60
