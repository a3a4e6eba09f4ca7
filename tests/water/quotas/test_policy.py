"""Quota status, warnings crossed once each, the life of a stop (announce, stop, cancel, restore) and roll-ups."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from changji.water.quotas.policy import (
    DEFAULT_THRESHOLDS,
    DOMESTIC,
    START,
    UNLOCK,
    PumpState,
    QuotaStatus,
    StopPolicy,
    check_notice_hours,
    check_thresholds,
    may_start,
    may_stop,
    newly_crossed,
    pick_policy,
    quota_action,
    quota_status,
    restore_command,
    roll_up,
    stop_due,
    top_up_counts,
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
DUE = NOW + timedelta(hours=48)
LATER = NOW + timedelta(days=3)


def test_policy_defaults():
    assert POLICY == StopPolicy(thresholds=(0.8, 0.9, 1.0), auto_stop=True, notice=timedelta(hours=48), stop_at=1.0)
    assert stop_due(POLICY, NOW) == DUE


def announced(due: datetime = DUE, **extra) -> PumpState:
    return PumpState(stopped_by_quota=False, stop_due_at=due, **extra)


OVERRIDE = {"override_until": NOW + timedelta(days=1)}
EXPIRED = {"override_until": NOW - timedelta(seconds=1)}

#: (case, used of 1000 m³, policy, pump, now, action) — the life of a stop, walked step by step.
CASES = [
    ("under the limit: nothing", 999.0, POLICY, RUNNING, NOW, None),
    ("100 % reached: announce, not stop", 1000.0, POLICY, RUNNING, NOW, "announce"),
    ("announced, notice not over: wait", 1100.0, POLICY, announced(), NOW + timedelta(hours=47), None),
    ("announced, notice over and still over: stop", 1100.0, POLICY, announced(), DUE, "stop"),
    ("stopped and still over: nothing (not stopped again)", 1100.0, POLICY, STOPPED, LATER, None),
    ("announced, back under after a top-up: cancel", 900.0, POLICY, announced(), NOW, "cancel"),
    ("announced, override granted: cancel", 1100.0, POLICY, announced(**OVERRIDE), NOW, "cancel"),
    ("announced, override expired: stop when due", 1100.0, POLICY, announced(**EXPIRED), DUE, "stop"),
    ("stopped, top-up brings it under: restore", 900.0, POLICY, STOPPED, NOW, "restore"),
    ("stopped, override granted: restore", 1100.0, POLICY, PumpState(True, **OVERRIDE), NOW, "restore"),
    ("override active at 100 %: no announcement", 1100.0, POLICY, PumpState(False, **OVERRIDE), NOW, None),
    ("override ended, still over: announce again", 1100.0, POLICY, PumpState(False, **EXPIRED), NOW, "announce"),
    ("policy without stop: warnings only", 1100.0, StopPolicy(auto_stop=False), RUNNING, NOW, None),
    ("policy no longer stops: announcement withdrawn", 1100.0, StopPolicy(auto_stop=False), announced(), DUE,
     "cancel"),
    ("domestic well at 150 %: never announced", 1500.0, POLICY, PumpState(False, use=DOMESTIC), LATER, None),
    ("domestic well announced before the rule: withdrawn", 1100.0, POLICY, announced(use=DOMESTIC), DUE, "cancel"),
    ("domestic well stopped before the rule: restored", 1100.0, POLICY, PumpState(True, use=DOMESTIC), NOW,
     "restore"),
    ("industrial well is stopped like any other", 1000.0, POLICY, PumpState(False, use="industrial"), NOW,
     "announce"),
    ("earlier stop point", 950.0, StopPolicy(stop_at=0.95), RUNNING, NOW, "announce"),
]


@pytest.mark.parametrize(("used", "policy", "pump", "now", "action"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_the_life_of_a_quota_stop(used, policy, pump, now, action):
    assert quota_action(quota_status(1000.0, used), policy, pump, now) == action


def test_a_season_walks_announce_stop_restore():
    """Announce at 100 %, stop after the notice, restore after a top-up; each step once."""
    pump, used, allocation = RUNNING, 1003.0, 1000.0
    assert quota_action(quota_status(allocation, used), POLICY, pump, NOW) == "announce"
    pump = announced(stop_due(POLICY, NOW))
    assert quota_action(quota_status(allocation, used), POLICY, pump, NOW + timedelta(hours=1)) is None
    assert quota_action(quota_status(allocation, used), POLICY, pump, DUE) == "stop"
    pump = STOPPED
    assert quota_action(quota_status(allocation, used), POLICY, pump, DUE + timedelta(hours=1)) is None
    assert quota_action(quota_status(allocation + 500, used), POLICY, pump, DUE + timedelta(hours=2)) == "restore"


def test_domestic_wells_are_never_stopped_whatever_the_policy():
    for policy in (POLICY, StopPolicy(notice=timedelta(0)), StopPolicy(stop_at=0.5)):
        assert not may_stop(policy, DOMESTIC)
        for used in (1000.0, 5000.0, math.inf):
            assert quota_action(quota_status(1000.0, used), policy, PumpState(False, use=DOMESTIC), LATER) is None
    assert may_stop(POLICY, "agricultural") and not may_stop(StopPolicy(auto_stop=False), "agricultural")


def test_restore_unlocks_by_default_and_starts_only_when_asked():
    assert UNLOCK == "unlock" and restore_command(UNLOCK) == "pump_unlock"
    assert restore_command(START) == "pump_start"
    with pytest.raises(ValueError):
        restore_command("auto")


@pytest.mark.parametrize(("used", "pump", "allowed"), [
    (900.0, STOPPED, True), (1100.0, STOPPED, False), (1100.0, PumpState(True, **OVERRIDE), True),
    (1100.0, PumpState(True, **EXPIRED), False)])
def test_a_remote_start_is_allowed_only_when_the_quota_does_not_hold_the_pump(used, pump, allowed):
    assert may_start(quota_status(1000.0, used), POLICY, pump, NOW) is allowed


def test_pick_policy_nearest_region_then_exact_use():
    rows = {("652300", ""): "prefecture", ("652300", "domestic"): "prefecture-domestic",
            ("652323", ""): "hutubi", ("652323", "industrial"): "hutubi-industrial"}
    chain = ["000000", "650000", "652300", "652323", "652323100"]
    assert pick_policy(rows, chain, "industrial") == "hutubi-industrial"
    assert pick_policy(rows, chain, "agricultural") == "hutubi"
    assert pick_policy(rows, chain, "domestic") == "hutubi"  # the county's blank beats the prefecture's exact
    assert pick_policy(rows, ["000000", "650000", "652300", "652301"], "domestic") == "prefecture-domestic"
    assert pick_policy(rows, ["000000", "650000", "652300", "652301"], "") == "prefecture"
    assert pick_policy(rows, ["000000", "650000"], "domestic") is None


@pytest.mark.parametrize("values", [[], [0.8, 0.8], [0.9, 0.8], [0.0, 1.0], [1.0, 2.5], [math.nan], [0.1] * 7,
                                    [-0.5, 1.0]])
def test_bad_thresholds_are_refused(values):
    with pytest.raises(ValueError):
        check_thresholds(values)


def test_good_thresholds_and_notice():
    assert check_thresholds([0.5, 1, 2]) == (0.5, 1.0, 2.0)
    assert check_notice_hours(0) == 0 and check_notice_hours(720) == 720
    for hours in (-1, 721, True, 1.5):
        with pytest.raises(ValueError):
            check_notice_hours(hours)


def test_a_temporary_top_up_counts_through_its_expiry_day():
    from datetime import date

    assert top_up_counts(None, date(2026, 12, 31))
    assert top_up_counts(date(2026, 8, 31), date(2026, 8, 31))
    assert not top_up_counts(date(2026, 8, 31), date(2026, 9, 1))


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
