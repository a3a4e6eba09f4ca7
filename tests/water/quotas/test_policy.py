"""Quota status, warnings crossed once each, the stop/override/start decision and roll-ups."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from changji.water.quotas.policy import (
    DEFAULT_THRESHOLDS,
    PumpState,
    QuotaStatus,
    StopPolicy,
    newly_crossed,
    quota_action,
    quota_status,
    roll_up,
)

NOW = datetime(2026, 8, 15, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def test_default_thresholds():
    assert DEFAULT_THRESHOLDS == (0.8, 0.9, 1.0)


@pytest.mark.parametrize(("used", "share", "level", "remaining"), [
    (0.0, 0.0, 0.0, 1000.0),
    (799.0, 0.799, 0.0, 201.0),
    (800.0, 0.8, 0.8, 200.0),
    (850.0, 0.85, 0.8, 150.0),
    (900.0, 0.9, 0.9, 100.0),
    (1000.0, 1.0, 1.0, 0.0),
    (1200.0, 1.2, 1.0, -200.0),
])
def test_quota_status(used, share, level, remaining):
    assert quota_status(1000.0, used) == QuotaStatus(1000.0, used, share, level, remaining)


@pytest.mark.parametrize("allocation", [0.0, -10.0])
def test_no_allocation_means_any_use_is_over(allocation):
    over = quota_status(allocation, 5.0)
    assert math.isinf(over.share) and over.level == 1.0 and over.remaining == allocation - 5.0
    idle = quota_status(allocation, 0.0)
    assert idle.share == 0.0 and idle.level == 0.0


def test_custom_thresholds():
    assert quota_status(1000.0, 960.0, thresholds=(0.5, 0.95)).level == 0.95


@pytest.mark.parametrize(("before", "after", "crossed"), [
    (700.0, 850.0, [0.8]),
    (790.0, 800.0, [0.8]),
    (800.0, 850.0, []),
    (850.0, 950.0, [0.9]),
    (950.0, 1000.0, [1.0]),
    (700.0, 1000.0, [0.8, 0.9, 1.0]),
    (1000.0, 1500.0, []),
    (950.0, 700.0, []),
    (0.0, 0.0, []),
])
def test_newly_crossed(before, after, crossed):
    assert newly_crossed(before, after, 1000.0) == crossed


def test_newly_crossed_sorts_unsorted_thresholds():
    assert newly_crossed(0.0, 1000.0, 1000.0, thresholds=(1.0, 0.8)) == [0.8, 1.0]


def test_each_warning_is_raised_once_over_a_season():
    raised, used = [], 0.0
    for _ in range(30):  # 30 deliveries of 40 m³ against 1,000 m³
        raised += newly_crossed(used, used + 40.0, 1000.0)
        used += 40.0
    assert raised == [0.8, 0.9, 1.0]


def test_first_use_without_allocation_crosses_everything():
    assert newly_crossed(0.0, 1.0, 0.0) == [0.8, 0.9, 1.0]


# --- stop / start -------------------------------------------------------------------------------

RUNNING = PumpState(stopped_by_quota=False)
STOPPED = PumpState(stopped_by_quota=True)
POLICY = StopPolicy()


def test_policy_defaults():
    assert POLICY == StopPolicy(auto_stop=True, stop_at=1.0)


def test_stop_at_one_hundred_percent():
    assert quota_action(quota_status(1000.0, 999.0), POLICY, RUNNING, NOW) is None
    assert quota_action(quota_status(1000.0, 1000.0), POLICY, RUNNING, NOW) == "stop"


def test_already_stopped_pump_is_not_stopped_again():
    assert quota_action(quota_status(1000.0, 1100.0), POLICY, STOPPED, NOW) is None


def test_no_stop_without_auto_stop():
    assert quota_action(quota_status(1000.0, 1100.0), StopPolicy(auto_stop=False), RUNNING, NOW) is None


def test_earlier_stop_point():
    assert quota_action(quota_status(1000.0, 950.0), StopPolicy(stop_at=0.95), RUNNING, NOW) == "stop"


def test_active_override_suspends_the_stop_until_it_expires():
    over = quota_status(1000.0, 1100.0)
    override = PumpState(stopped_by_quota=False, override_until=NOW + timedelta(days=3))
    assert quota_action(over, POLICY, override, NOW) is None
    assert quota_action(over, POLICY, override, NOW + timedelta(days=3)) == "stop"
    expired = PumpState(stopped_by_quota=False, override_until=NOW - timedelta(seconds=1))
    assert quota_action(over, POLICY, expired, NOW) == "stop"


def test_recharge_starts_a_pump_stopped_by_quota():
    assert quota_action(quota_status(1000.0, 1000.0), POLICY, STOPPED, NOW) is None
    recharged = quota_status(1500.0, 1000.0)  # 500 m³ bought on the IC card
    assert quota_action(recharged, POLICY, STOPPED, NOW) == "start"


def test_override_granted_after_the_stop_starts_the_pump():
    granted = PumpState(stopped_by_quota=True, override_until=NOW + timedelta(days=1))
    assert quota_action(quota_status(1000.0, 1100.0), POLICY, granted, NOW) == "start"


def test_running_pump_under_quota_needs_nothing():
    assert quota_action(quota_status(1000.0, 100.0), POLICY, RUNNING, NOW) is None


def test_stop_then_start_scenario():
    pump = RUNNING
    action = quota_action(quota_status(1000.0, 1003.0), POLICY, pump, NOW)
    assert action == "stop"
    pump = PumpState(stopped_by_quota=True)
    assert quota_action(quota_status(1000.0, 1003.0), POLICY, pump, NOW + timedelta(hours=1)) is None
    assert quota_action(quota_status(1200.0, 1003.0), POLICY, pump, NOW + timedelta(hours=2)) == "start"


# --- roll-up ------------------------------------------------------------------------------------

PARENT = {"w1": "v1", "w2": "v1", "w3": "v2", "v1": "t1", "v2": "t1", "t1": "c1", "c1": "p1"}


def test_roll_up_sums_usage_and_allocations_up_the_tree():
    usage = {"w1": 100.0, "w2": 200.0, "w3": 50.0}
    allocation = {"w1": 150.0, "w2": 150.0, "w3": 100.0, "v2": 80.0, "c1": 1000.0}
    result = roll_up(usage, allocation, PARENT)
    assert set(result) == {"w1", "w2", "w3", "v1", "v2", "t1", "c1", "p1"}
    expected = {  # (allocation, used)
        "w1": (150.0, 100.0), "w2": (150.0, 200.0), "w3": (100.0, 50.0),
        "v1": (300.0, 300.0),  # no own allocation: 150 + 150
        "v2": (80.0, 50.0),  # own allocation wins over the wells' 100
        "t1": (380.0, 350.0),  # 300 + 80
        "c1": (1000.0, 350.0),  # the county's own 总量
        "p1": (1000.0, 350.0),
    }
    for unit, (alloc, used) in expected.items():
        assert result[unit] == quota_status(alloc, used), unit
    assert result["w2"].level == 1.0 and result["v1"].level == 1.0 and result["t1"].level == 0.9


def test_unit_with_no_allocation_anywhere_below_is_infinitely_over():
    result = roll_up({"w1": 10.0}, {}, {"w1": "v1"})
    assert math.isinf(result["v1"].share) and result["v1"].allocation == 0.0


def test_own_usage_of_an_inner_unit_is_added():
    result = roll_up({"w1": 10.0, "v1": 5.0}, {"v1": 100.0}, {"w1": "v1"})
    assert result["v1"].used == 15.0 and result["w1"].used == 10.0


def test_empty_roll_up():
    assert roll_up({}, {}, {}) == {}


def test_cycle_is_rejected():
    with pytest.raises(ValueError, match="cycle"):
        roll_up({"a": 1.0}, {}, {"a": "b", "b": "a"})
