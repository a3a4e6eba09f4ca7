"""The quota sweep: warnings once each, announce → stop → restore through commands, overrides, recharges, totals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changji.core.models import AuditEntry, Region
from changji.water.models import Allocation, Command, DailyUsage, QuotaPolicy, Terminal, WaterUser, Well
from changji.water.quotas.controls import override
from changji.water.quotas.sweep import (
    add_allocation,
    effective_allocation,
    policy_for,
    quota_overview,
    sweep_quotas,
    totals,
    used_m3,
)
from changji.water.usage import monthly

pytestmark = pytest.mark.django_db

TODAY = date(2025, 7, 1)
HUTUBI = "652323"
TOWNSHIP = "652323100"
VILLAGE = "652323100001"


@pytest.fixture
def villages(db):
    """A township and a village below Hutubi county (the seed stops at counties)."""
    county = Region.objects.get(code=HUTUBI)
    township = Region.objects.create(code=TOWNSHIP, name="呼图壁镇", level=4, parent=county)
    return Region.objects.create(code=VILLAGE, name="东滩村", level=5, parent=township)


_counter = iter(range(1, 10_000))


def make_well(region: str = HUTUBI, user: WaterUser | None = None, terminal: bool = True) -> Well:
    """Return a well in ``region`` (with one SZY206 terminal unless told otherwise)."""
    n = next(_counter)
    well = Well.objects.create(code=f"{region[:6]}-{n:05d}", name=f"机井{n}", region_id=region, latitude=44.3,
                               longitude=86.9, water_user=user)
    if terminal:
        Terminal.objects.create(protocol="szy206", address=f"{n:010d}", well=well, region_id=region)
    return well


def make_user_holder(code: str, region: str = HUTUBI) -> WaterUser:
    return WaterUser.objects.create(code=code, name=f"取水户{code}", kind="cooperative", region_id=region)


def use(well: Well, day: date, m3: float, kwh: float | None = None, estimated: float | None = None) -> DailyUsage:
    """Write a day of use as the derivation does: the row, then the closed month's rollup (usage.monthly.refresh)."""
    row = DailyUsage.objects.create(well=well, day=day, water_m3=m3, energy_kwh=kwh, estimated_water_m3=estimated,
                                    usage_m3=m3, source="metered")
    monthly.refresh([well.pk], day, day)
    return row


def actions(name: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=name).order_by("at"))


def commands(kind: str) -> list[Command]:
    return list(Command.objects.filter(kind=kind))


# --- warnings and stops ---------------------------------------------------------------------------


def test_warnings_go_out_once_each_across_repeated_sweeps():
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 5, 1), 850)
    first = sweep_quotas(TODAY)
    assert first.checked == 1 and first.warnings == [(allocation.pk, 0.8)]
    assert sweep_quotas(TODAY).warnings == []
    use(well, date(2025, 5, 2), 60)  # 910 m³: 90 %
    assert sweep_quotas(TODAY).warnings == [(allocation.pk, 0.9)]
    use(well, date(2025, 5, 3), 100)  # 1010 m³: 100 %
    assert sweep_quotas(TODAY).warnings == [(allocation.pk, 1.0)]
    sweep_quotas(TODAY)
    warnings = actions("water.quota.warning")
    assert [entry.detail["threshold"] for entry in warnings] == [0.8, 0.9, 1.0]
    assert warnings[0].detail["share"] == 0.85 and warnings[0].region_id == HUTUBI
    assert warnings[0].object_id == str(allocation.pk) and warnings[0].actor_name == "quota-sweep"
    allocation.refresh_from_db()
    assert allocation.level_reached == 1.0


def test_a_jump_past_several_thresholds_warns_for_each_in_one_sweep():
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 5, 1), 950)
    assert sweep_quotas(TODAY).warnings == [(allocation.pk, 0.8), (allocation.pk, 0.9)]


def test_at_100_percent_the_stop_is_announced_then_queued_once_after_the_notice():
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 6, 1), 1000)
    now = timezone.now()
    result = sweep_quotas(TODAY, now=now)
    assert result.announced == [allocation.pk] and result.stops == [] and not Command.objects.exists()
    allocation.refresh_from_db()
    assert allocation.stop_due_at == now + timedelta(hours=48) and allocation.stop_announced_at == now
    (notice,) = actions("water.quota.stop_announced")
    assert notice.detail == {"stop_due_at": allocation.stop_due_at.isoformat(), "notice_hours": 48,
                             "share": 1.0, "used_m3": 1000, "allocation_m3": 1000}
    assert notice.object_id == str(allocation.pk) and notice.region_id == HUTUBI
    assert sweep_quotas(TODAY, now=now + timedelta(hours=47)).stops == []
    result = sweep_quotas(TODAY, now=now + timedelta(hours=48))
    (stop,) = commands("pump_stop")
    assert result.stops == [stop.pk] and result.starts == []
    assert stop.reason == "超年度用水指标（已用 1000 m³ / 指标 1000 m³）"
    assert stop.terminal.well == well and stop.requested_by_name == "quota-sweep"
    allocation.refresh_from_db()
    assert allocation.stopped_by_quota
    (entry,) = actions("water.quota.stop")
    assert entry.detail["commands"] == [str(stop.pk)] and entry.reason == stop.reason
    audit_count, command_count = AuditEntry.objects.count(), Command.objects.count()
    for later in (timedelta(hours=49), timedelta(days=5)):
        again = sweep_quotas(TODAY, now=now + later)
        assert again.warnings == again.stops == again.starts == again.announced == []
    assert (AuditEntry.objects.count(), Command.objects.count()) == (audit_count, command_count)


def test_a_policy_without_notice_stops_in_the_same_sweep():
    QuotaPolicy.objects.create(region_id=HUTUBI, thresholds=[0.8, 0.9, 1.0], notice_hours=0)
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 6, 1), 1000)
    result = sweep_quotas(TODAY)
    assert result.announced == [allocation.pk] and len(result.stops) == 1
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="water.quota.stop").order_by("at")] == [
        "water.quota.stop_announced", "water.quota.stop"]


def test_a_domestic_well_is_warned_but_never_stopped():
    well = make_well()
    Well.objects.filter(pk=well.pk).update(use="domestic")
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 6, 1), 3000)
    for later in (timedelta(0), timedelta(days=3), timedelta(days=30)):
        result = sweep_quotas(TODAY, now=timezone.now() + later)
        assert result.announced == result.stops == []
    assert sorted(entry.detail["threshold"] for entry in actions("water.quota.warning")) == [0.8, 0.9, 1.0]
    allocation.refresh_from_db()
    assert not allocation.stopped_by_quota and allocation.stop_due_at is None and not Command.objects.exists()


def test_an_electricity_allocation_binds_when_its_share_is_higher():
    """A flowmeter that under-reads still stops the pump: the kWh drawn count against the 电量指标."""
    QuotaPolicy.objects.create(region_id=HUTUBI, thresholds=[0.8, 0.9, 1.0], notice_hours=0)
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=10_000, allocation_kwh=500)
    use(well, date(2025, 6, 1), 100, kwh=410)  # 1 % of the water, 82 % of the electricity
    result = sweep_quotas(TODAY)
    assert result.warnings == [(allocation.pk, 0.8)] and result.stops == []
    (warning,) = actions("water.quota.warning")
    assert warning.reason == "用电量达到年度电量指标的 80%"
    assert warning.detail["used_kwh"] == 410 and warning.detail["allocation_kwh"] == 500
    use(well, date(2025, 6, 2), 10, kwh=100)
    result = sweep_quotas(TODAY)
    (stop,) = commands("pump_stop")
    assert result.stops == [stop.pk] and stop.reason == "超年度电量指标（已用 510 kWh / 指标 500 kWh）"
    (notice,) = actions("water.quota.stop_announced")
    assert notice.detail["used_m3"] == 110 and notice.detail["used_kwh"] == 510
    Allocation.objects.filter(pk=allocation.pk).update(allocation_kwh=None)  # water alone is far from its limit
    result = sweep_quotas(TODAY)
    assert result.starts == [commands("pump_unlock")[0].pk]


def test_a_new_year_releases_what_last_years_allocation_holds(stopped_well):
    well = make_well()
    pending = Allocation.objects.create(year=2025, well=well, allocation_m3=10)
    use(well, date(2025, 12, 30), 20)
    sweep_quotas(date(2025, 12, 31))
    pending.refresh_from_db()
    assert pending.stop_due_at is not None
    result = sweep_quotas(date(2026, 1, 1))
    assert result.cancelled == [pending.pk] and result.checked == 0
    (unlock,) = commands("pump_unlock")
    assert result.starts == [unlock.pk] and unlock.terminal.well == stopped_well.well
    assert actions("water.quota.restore")[0].reason == "2025 年度用水指标已结束"
    stopped_well.refresh_from_db()
    pending.refresh_from_db()
    assert not stopped_well.stopped_by_quota and pending.stop_due_at is None
    again = sweep_quotas(date(2026, 1, 1))
    assert again.cancelled == again.starts == []


def test_only_the_allocations_year_counts():
    well = make_well()
    Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    Allocation.objects.create(year=2024, well=well, allocation_m3=10)
    use(well, date(2024, 12, 31), 5000)
    use(well, date(2025, 1, 1), 100)
    result = sweep_quotas(TODAY)
    assert result.checked == 1 and result.warnings == [] and result.stops == []


# --- override and recharge -------------------------------------------------------------------------


@pytest.fixture
def stopped_well():
    """A well at 110 % of its allocation whose pump the sweep has stopped."""
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 6, 1), 1100)
    sweep_quotas(TODAY, now=timezone.now() - timedelta(hours=49))  # announced two days ago
    sweep_quotas(TODAY)
    allocation.refresh_from_db()
    assert allocation.stopped_by_quota
    return allocation


def test_override_unlocks_a_stopped_pump_and_the_stop_is_announced_again_when_it_ends(stopped_well, make_user):
    operator = make_user("hutubi", HUTUBI)
    until = timezone.now() + timedelta(days=2)
    allocation = override(stopped_well, operator, "  抗旱应急灌溉  ", until, approver="王局长")
    assert allocation.override_reason == "抗旱应急灌溉" and allocation.override_by_name == "hutubi"
    assert allocation.override_approved_by_name == "王局长"
    (entry,) = actions("water.quota.override")
    assert entry.actor == operator and entry.reason == "抗旱应急灌溉" and entry.detail["until"] == until.isoformat()
    (unlock,) = commands("pump_unlock")  # the override sweeps the allocation at once
    assert "抗旱应急灌溉" in unlock.reason and not commands("pump_start")
    allocation.refresh_from_db()
    assert not allocation.stopped_by_quota
    (restore,) = actions("water.quota.restore")
    assert restore.detail["mode"] == "unlock" and restore.detail["commands"] == [str(unlock.pk)]
    assert sweep_quotas(TODAY).starts == [] and sweep_quotas(TODAY).stops == []
    expired = sweep_quotas(TODAY, now=until + timedelta(minutes=1))
    assert expired.announced == [allocation.pk] and expired.stops == []
    stopped = sweep_quotas(TODAY, now=until + timedelta(hours=48, minutes=1))
    assert len(stopped.stops) == 1 and len(commands("pump_stop")) == 2


@pytest.mark.parametrize(
    ("reason", "until_delta", "field"),
    [("", timedelta(days=1), "reason"), ("   ", timedelta(days=1), "reason"), ("抗旱", timedelta(days=-1), "until")],
)
def test_override_needs_a_reason_and_a_future_time(stopped_well, reason, until_delta, field):
    with pytest.raises(ValidationError) as error:
        override(stopped_well, "op", reason, timezone.now() + until_delta)
    assert field in error.value.message_dict
    assert not actions("water.quota.override")


def test_override_is_for_well_allocations_only():
    holder = make_user_holder("U1")
    allocation = Allocation.objects.create(year=2025, water_user=holder, allocation_m3=1000)
    with pytest.raises(ValidationError) as error:
        override(allocation, "op", "抗旱", timezone.now() + timedelta(days=1))
    assert "allocation" in error.value.message_dict


def test_recharge_below_the_limit_unlocks_the_pump_and_rearms_warnings(stopped_well, make_user):
    operator = make_user("hutubi", HUTUBI)
    change = add_allocation(stopped_well, 1000, "IC卡充值", operator)
    assert change.by_name == "hutubi" and effective_allocation(stopped_well) == 2000
    (entry,) = actions("water.quota.recharge")
    assert entry.detail == {"amount_m3": 1000, "allocation_m3": 2000} and entry.reason == "IC卡充值"
    result = sweep_quotas(TODAY)
    (unlock,) = commands("pump_unlock")
    assert result.starts == [unlock.pk] and unlock.reason == "用水指标已恢复（已用 1100 m³ / 指标 2000 m³）"
    assert result.warnings == [] and not commands("pump_start")
    stopped_well.refresh_from_db()
    assert not stopped_well.stopped_by_quota and stopped_well.level_reached == 0.0
    use(stopped_well.well, date(2025, 6, 2), 500)  # 1600 of 2000: 80 % of the new allocation
    assert sweep_quotas(TODAY).warnings == [(stopped_well.pk, 0.8)]


def test_a_recharge_that_stays_over_the_limit_starts_nothing(stopped_well):
    add_allocation(stopped_well, 50, "追加指标", "clerk")
    assert sweep_quotas(TODAY).starts == []


@pytest.mark.parametrize(("amount", "reason", "field"), [(0, "充值", "amount_m3"), (100, " ", "reason")])
def test_recharge_needs_a_reason_and_an_amount(stopped_well, amount, reason, field):
    with pytest.raises(ValidationError) as error:
        add_allocation(stopped_well, amount, reason, "clerk")
    assert field in error.value.message_dict
    assert effective_allocation(stopped_well) == 1000


# --- policies and holders that do not stop ---------------------------------------------------------


def test_policy_of_the_nearest_region_applies(villages):
    QuotaPolicy.objects.create(region_id="652300", thresholds=[0.7, 1.0], stop_at_full=False)
    QuotaPolicy.objects.create(region_id="652300", use="industrial", thresholds=[0.6, 1.0], notice_hours=12)
    QuotaPolicy.objects.create(region_id=HUTUBI, thresholds=[1.0, 0.5], stop_at_full=True, notice_hours=72)
    policy = policy_for(villages)
    assert policy.thresholds == (0.5, 1.0) and policy.auto_stop and policy.notice == timedelta(hours=72)
    assert policy_for(villages, "industrial") == policy  # the county's blank policy beats the prefecture's exact one
    policy = policy_for(Region.objects.get(code="652301"))
    assert policy.thresholds == (0.7, 1.0) and not policy.auto_stop
    policy = policy_for(Region.objects.get(code="652301"), "industrial")
    assert policy.thresholds == (0.6, 1.0) and policy.auto_stop and policy.notice == timedelta(hours=12)
    policy = policy_for(Region.objects.get(code="000000"))
    assert policy.thresholds == (0.8, 0.9, 1.0) and policy.auto_stop and policy.notice == timedelta(hours=48)


def test_a_policy_without_auto_stop_only_warns():
    QuotaPolicy.objects.create(region_id=HUTUBI, thresholds=[0.8, 0.9, 1.0], stop_at_full=False)
    well = make_well()
    allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000)
    use(well, date(2025, 6, 1), 1200)
    result = sweep_quotas(TODAY)
    assert [t for _, t in result.warnings] == [0.8, 0.9, 1.0] and result.stops == []
    allocation.refresh_from_db()
    assert not allocation.stopped_by_quota and not Command.objects.exists()


def test_a_water_users_allocation_warns_but_stops_nothing():
    holder = make_user_holder("U1")
    wells = [make_well(user=holder), make_well(user=holder)]
    allocation = Allocation.objects.create(year=2025, water_user=holder, allocation_m3=1000)
    use(wells[0], date(2025, 6, 1), 600)
    use(wells[1], date(2025, 6, 1), 500)
    result = sweep_quotas(TODAY)
    assert [t for _, t in result.warnings] == [0.8, 0.9, 1.0] and result.stops == []
    assert not Command.objects.exists() and not actions("water.quota.stop")
    allocation.refresh_from_db()
    assert allocation.level_reached == 1.0 and not allocation.stopped_by_quota


# --- used_m3 -------------------------------------------------------------------------------------------


def test_used_m3_for_well_water_user_and_region_holders(villages):
    holder = make_user_holder("U1")
    in_village, in_county = make_well(VILLAGE, user=holder), make_well(HUTUBI, user=holder)
    elsewhere = make_well("652301")
    for well, m3 in ((in_village, 100), (in_county, 200), (elsewhere, 400)):
        use(well, date(2024, 12, 31), 1000)  # last year: never counted
        use(well, date(2025, 1, 1), m3)
        use(well, date(2025, 7, 2), 1)  # after ``until``
    by_well = Allocation.objects.create(year=2025, well=in_village, allocation_m3=1)
    by_user = Allocation.objects.create(year=2025, water_user=holder, allocation_m3=1)
    by_township = Allocation.objects.create(year=2025, region_id=TOWNSHIP, allocation_m3=1)
    by_county = Allocation.objects.create(year=2025, region_id=HUTUBI, allocation_m3=1)
    by_prefecture = Allocation.objects.create(year=2025, region_id="652300", allocation_m3=1)
    assert used_m3(by_well, TODAY) == 100
    assert used_m3(by_user, TODAY) == 300
    assert used_m3(by_township, TODAY) == 100
    assert used_m3(by_county, TODAY) == 300
    assert used_m3(by_prefecture, TODAY) == 700
    assert used_m3(by_prefecture, date(2026, 3, 1)) == 703  # the year ends Dec 31
    assert used_m3(by_prefecture, date(2024, 12, 31)) == 0


# --- totals --------------------------------------------------------------------------------------------


@pytest.fixture
def usage_grid(villages):
    """Three wells in Hutubi (village, township-less county, a water user's) and one in Changji city."""
    holder = make_user_holder("U1")
    wells = {
        "village": make_well(VILLAGE, user=holder),
        "county": make_well(HUTUBI),
        "user": make_well(HUTUBI, user=holder),
        "city": make_well("652301"),
    }
    days = [date(2024, 12, 31), date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1), date(2025, 9, 30),
            date(2025, 10, 1), date(2025, 12, 31), date(2026, 1, 1)]
    for n, day in enumerate(days):
        for k, well in enumerate(wells.values()):
            use(well, day, 10 ** n * (k + 1), kwh=1.0)
    return wells


def _by_code(rows):
    return {(row["code"], row["unassigned"]): row["usage_m3"] for row in rows}


def test_totals_by_county_for_each_period(usage_grid, changji):
    county = {p: _by_code(totals(p, date(2025, 4, 1), "county", changji)) for p in ("day", "month", "quarter")}
    # 1+2+3 per unit of each day in Hutubi, 4 per unit in Changji city; Apr 1 is day index 3
    assert county["day"] == {("652301", False): 4000, ("652323", False): 6000}
    assert county["month"] == county["day"]
    assert county["quarter"] == {("652301", False): 4000, ("652323", False): 6000}
    q1 = _by_code(totals("quarter", date(2025, 2, 10), "county", changji))
    assert q1 == {("652301", False): 4 * 110, ("652323", False): 6 * 110}  # Jan 1 and Mar 31, not Dec 31
    year = _by_code(totals("year", date(2025, 6, 1), "county", changji))
    assert year[("652323", False)] == 6 * 1_111_110  # Jan 1 .. Dec 31 local days only
    season = _by_code(totals("season", date(2025, 12, 1), "county", changji))
    assert season[("652323", False)] == 6 * 11_000  # Apr 1 and Sep 30, not Mar 31 or Oct 1


def test_totals_at_the_turn_of_the_year(usage_grid, changji):
    dec = totals("day", date(2024, 12, 31), "prefecture", changji)
    jan = totals("day", date(2025, 1, 1), "prefecture", changji)
    assert [(row["code"], row["usage_m3"]) for row in dec] == [("652300", 10)]
    assert [(row["code"], row["usage_m3"]) for row in jan] == [("652300", 100)]


def test_totals_by_water_user_well_and_village(usage_grid, changji, villages):
    wells = usage_grid
    month = date(2025, 10, 15)  # only Oct 1 (index 5) falls in it
    by_user = totals("month", month, "water_user", changji)
    assert [(r["code"], r["name"], r["usage_m3"], r["wells"], r["unassigned"]) for r in by_user] == [
        (None, "", 6 * 10**5, 2, True), ("U1", "取水户U1", 4 * 10**5, 2, False)]
    by_well = {r["code"]: r for r in totals("month", month, "well", Region.objects.get(code=HUTUBI))}
    assert set(by_well) == {wells["village"].code, wells["county"].code, wells["user"].code}
    row = by_well[wells["user"].code]
    assert row["usage_m3"] == 3 * 10**5 and row["energy_kwh"] == 1.0 and row["estimated_water_m3"] is None
    assert row["name"] == wells["user"].name and (row["start"], row["end"]) == (date(2025, 10, 1), date(2025, 10, 31))
    by_village = _by_code(totals("month", month, "village", changji))
    assert by_village == {(VILLAGE, False): 10**5, (HUTUBI, True): 5 * 10**5, ("652301", True): 4 * 10**5}
    assert _by_code(totals("month", month, "township", villages)) == {(TOWNSHIP, False): 10**5}


def test_totals_refuse_unknown_period_and_group(changji):
    with pytest.raises(ValidationError) as error:
        totals("week", TODAY, "county", changji)
    assert "period" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        totals("year", TODAY, "street", changji)
    assert "group_by" in error.value.message_dict


# --- overview ------------------------------------------------------------------------------------------


def test_quota_overview_per_county(changji, villages):
    holder = make_user_holder("U1")
    user_wells = [make_well(VILLAGE, user=holder), make_well(HUTUBI, user=holder)]
    lone = make_well(HUTUBI)
    city = make_well("652301")
    # Hutubi: no own allocation → water user (own 1000, its wells' 300+300 are not added) + lone well 500
    Allocation.objects.create(year=2025, water_user=holder, allocation_m3=1000)
    for well in user_wells:
        Allocation.objects.create(year=2025, well=well, allocation_m3=300)
    lone_allocation = Allocation.objects.create(year=2025, well=lone, allocation_m3=400)
    add_allocation(lone_allocation, 100, "追加指标", "clerk")
    Allocation.objects.create(year=2025, region_id=TOWNSHIP, allocation_m3=99_999)  # a sub-cap, not added
    # Changji city: its own 总量 caps it
    Allocation.objects.create(year=2025, region_id="652301", allocation_m3=2000)
    Allocation.objects.create(year=2025, well=city, allocation_m3=5000)
    use(user_wells[0], date(2025, 3, 1), 600)
    use(user_wells[1], date(2025, 3, 1), 300)
    use(lone, date(2025, 3, 1), 300)
    use(city, date(2025, 3, 1), 1900)
    use(city, date(2025, 8, 1), 1000)  # after ``today``
    make_well("652302")  # Fukang: used water with no allocation
    use(Well.objects.get(region_id="652302"), date(2025, 3, 1), 5)
    rows = {row["region"]: row for row in quota_overview(2025, TODAY, changji)}
    assert len(rows) == 7
    hutubi = rows[HUTUBI]
    assert (hutubi["allocation_m3"], hutubi["used_m3"], hutubi["own_allocation"]) == (1500, 1200, False)
    assert hutubi["share"] == 0.8 and hutubi["level"] == 0.8 and hutubi["remaining_m3"] == 300
    city_row = rows["652301"]
    assert (city_row["allocation_m3"], city_row["used_m3"], city_row["own_allocation"]) == (2000, 1900, True)
    assert city_row["share"] == 0.95 and city_row["level"] == 0.9
    assert rows["652302"]["share"] is None and rows["652302"]["level"] == 1.0
    assert rows["652325"]["allocation_m3"] == 0 and rows["652325"]["share"] == 0.0
    only_hutubi = quota_overview(2025, TODAY, Region.objects.get(code=HUTUBI))
    assert [row["region"] for row in only_hutubi] == [HUTUBI]


# --- the screen: only allocations with something to do are locked and judged ------------------------------------


def test_the_screen_leaves_out_only_allocations_with_nothing_to_do():
    """Allocations far from every threshold and due time are screened out; those with work are kept."""
    from changji.water.quotas.sweep import _screen

    quiet = [Allocation.objects.create(year=2025, well=make_well(), allocation_m3=1000) for _ in range(5)]
    for allocation in quiet:
        use(allocation.well, date(2025, 5, 1), 500)  # 50 %: below every threshold
    warned = Allocation.objects.create(year=2025, well=make_well(), allocation_m3=1000, level_reached=0.8)
    use(warned.well, date(2025, 5, 1), 850)  # already warned at 80 %: nothing new
    crossing = Allocation.objects.create(year=2025, well=make_well(), allocation_m3=1000)
    use(crossing.well, date(2025, 6, 30), 800)  # exactly 80 %: a warning is due
    now = timezone.now()
    pending = Allocation.objects.create(year=2025, well=make_well(), allocation_m3=1000, stop_due_at=now)
    use(pending.well, date(2025, 5, 1), 1200)  # an announced stop has fallen due
    holder = Allocation.objects.create(year=2025, water_user=make_user_holder("U-SCREEN"), allocation_m3=10)
    due, screened = _screen(TODAY, now, {})
    assert screened == 9
    assert sorted(due) == sorted([crossing.pk, pending.pk, holder.pk])


def test_after_a_screened_sweep_an_unscreened_one_finds_nothing_left(villages):
    """Whatever the screen left out had nothing to do: judging every allocation again changes nothing."""
    from changji.water.quotas.sweep import SweepResult, _sweep_one

    QuotaPolicy.objects.create(region_id=HUTUBI, thresholds=[0.7, 0.85, 1.0], notice_hours=0)
    shares = [0.0, 0.3, 0.69999, 0.7, 0.84, 0.85, 0.99, 1.0, 1.2, 3.0]
    allocations = []
    for n, share in enumerate(shares):
        well = make_well(VILLAGE if n % 2 else HUTUBI)
        allocation = Allocation.objects.create(year=2025, well=well, allocation_m3=1000, allocation_kwh=900 if n % 3
                                               else None)
        use(well, date(2025, 3, 1), share * 600, kwh=share * 500)
        use(well, date(2025, 6, 30), share * 400, kwh=share * 400)
        allocations.append(allocation)
    now = timezone.now()
    sweep_quotas(TODAY, now=now)
    leftover = SweepResult()
    for allocation in allocations:
        _sweep_one(allocation.pk, TODAY, "check", now, leftover, {})
    assert (leftover.warnings, leftover.announced, leftover.cancelled, leftover.stops, leftover.starts) == (
        [], [], [], [], [])
