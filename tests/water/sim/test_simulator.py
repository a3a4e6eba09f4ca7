"""The simulated wells behave like the real ones the rules must recognise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from changji.water.protocols import sl651, szy206
from changji.water.sim.fleet import PREFECTURE_WELL_COUNT, build_fleet
from changji.water.sim.simulator import FaultPlan, WellModel

JULY_NOON = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)  # 12:00 in Changji
JANUARY_NOON = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)


def _extraction(index=0):
    return [w for w in build_fleet(200) if w.kind == "extraction" and w.use == "agricultural"][index]


def _run(model, start, hours):
    for step in range(int(hours * 12)):
        model.advance(start + timedelta(minutes=5 * (step + 1)), 300)


def test_fleet_is_deterministic_and_spans_the_seven_counties():
    fleet = build_fleet(PREFECTURE_WELL_COUNT)
    assert len(fleet) == 10_401 and fleet == build_fleet(PREFECTURE_WELL_COUNT)
    assert len({w.county_code for w in fleet}) == 7
    assert len({(w.protocol, w.address) for w in fleet}) == len(fleet)
    assert {w.protocol for w in fleet if w.kind == "monitoring"} == {"sl651"}
    assert all(30 <= w.pump_rated_flow_m3h <= 80 and 11 <= w.pump_rated_power_kw <= 45
               for w in fleet if w.kind == "extraction")


def test_registers_grow_with_the_ratio_of_the_well_in_season():
    well = _extraction()
    model = WellModel(well, frozenset(), 1)
    volume0, energy0 = model.volume_m3, model.energy_kwh
    _run(model, JULY_NOON - timedelta(hours=12), 24 * 10)
    water, energy = model.volume_m3 - volume0, model.energy_kwh - energy0
    assert water > 0
    assert abs(water / energy - well.ratio_m3_per_kwh) < 0.01 * well.ratio_m3_per_kwh


def test_pumps_rest_in_winter():
    model = WellModel(_extraction(), frozenset(), 1)
    volume0 = model.volume_m3
    _run(model, JANUARY_NOON, 6)
    assert model.volume_m3 - volume0 < 1000


def test_bypass_takes_energy_without_metered_water():
    model = WellModel(_extraction(), frozenset({"bypass"}), 1)
    volume0, energy0 = model.volume_m3, model.energy_kwh
    _run(model, JULY_NOON - timedelta(hours=12), 24 * 5)
    assert model.volume_m3 == volume0 and model.energy_kwh > energy0


def test_remote_stop_keeps_the_pump_off():
    model = WellModel(_extraction(), frozenset(), 1)
    model.remote_stopped = True
    _run(model, JULY_NOON - timedelta(hours=12), 24)
    assert not model.pump_on and model.flow_m3h == 0


def test_reports_decode_to_the_model_state():
    model = WellModel(_extraction(), frozenset({"tamper"}), 1)
    model.pump_on, model.flow_m3h, model.door_open = True, 48.25, True
    # Each terminal speaks its device batch's protocol profile (sim.profiles): decode with the same options.
    flow_frame, energy_frame = (szy206.decode_szy206(f, model.options) for f in model.szy206_report(JULY_NOON, 10))
    reading = szy206.to_reading(flow_frame, JULY_NOON, model.options)
    assert reading.flow_m3h == 48.25 and reading.volume_m3 == int(model.volume_m3)
    assert reading.pump_on is True and reading.door_open is True
    again = szy206.decode_szy206(szy206.encode_szy206(energy_frame, model.options), model.options)
    assert again.values["energy_kwh"] == [model.energy_kwh]


def test_monitoring_well_reports_depth_in_sl651():
    well = next(w for w in build_fleet(100) if w.kind == "monitoring")
    model = WellModel(well, frozenset(), 1)
    model.advance(JULY_NOON, 300)
    [frame] = model.sl651_report(JULY_NOON, JULY_NOON, 7)
    reading = sl651.to_reading(sl651.decode_sl651(frame))
    assert reading.depth_m == model.depth_m and reading.station == well.address
    assert reading.door_open is False


def test_fault_plan_picks_the_same_wells_for_the_same_seed():
    plan = FaultPlan(tamper=0.5, offline=0.1)
    picks = [plan.faults_of(i, 7) for i in range(200)]
    assert picks == [plan.faults_of(i, 7) for i in range(200)]
    assert 60 < sum("tamper" in p for p in picks) < 140
