"""The work-order state table, walked from the table itself; the fields each step needs; the distance used to sort."""

from __future__ import annotations

import pytest

from changji.core.transitions import TransitionError
from changji.water.models import WorkOrderKind, WorkOrderState
from changji.water.orders.states import (
    ALLOWED,
    RETURN_MOVES,
    TABLE,
    Kind,
    State,
    check_move,
    done_fields,
    haversine_m,
)

#: Every field any move may need, filled.
FULL = {"assignee": object(), "result": "已修复", "reason": "读数不清", "flow_before_m3": 100.0,
        "flow_after_m3": 101.5, "energy_before_kwh": 50.0, "energy_after_kwh": 52.0, "certificate_number": "JD-1",
        "error_pct": 0.8}


def test_the_pure_states_and_kinds_are_the_models():
    assert {s.value: TABLE.label(s) for s in State} == {v: str(label) for v, label in WorkOrderState.choices}
    assert {k.value for k in Kind} == set(WorkOrderKind.values)


@pytest.mark.parametrize("current", list(State))
@pytest.mark.parametrize("target", list(State))
def test_every_edge_of_the_table_and_no_other(current, target):
    if target in ALLOWED[current]:
        check_move(current, target, FULL, kind=Kind.CALIBRATION, has_flow_meter=True, has_energy_meter=True)
        needed = set(TABLE.required.get(target, ())) | ({"reason"} if (current, target) in RETURN_MOVES else set())
        for name in needed:
            with pytest.raises(TransitionError) as missing:
                check_move(current, target, {**FULL, name: "  "}, kind=Kind.CALIBRATION)
            assert missing.value.field == name
    else:
        with pytest.raises(TransitionError) as refused:
            check_move(current, target, FULL, kind=Kind.CALIBRATION, has_flow_meter=True, has_energy_meter=True)
        assert refused.value.field == "state"


def test_reviewed_and_cancelled_are_final_and_every_open_state_can_be_cancelled():
    assert ALLOWED[State.REVIEWED] == ALLOWED[State.CANCELLED] == frozenset()
    assert all(State.CANCELLED in ALLOWED[s] for s in (State.PENDING, State.ASSIGNED, State.ON_SITE))


@pytest.mark.parametrize(("kind", "flow", "energy", "needed"), [
    (Kind.SITE_CHECK, True, True, set()),
    (Kind.REPAIR, True, False, {"flow_before_m3", "flow_after_m3"}),
    (Kind.INSTALLATION, False, True, {"energy_before_kwh", "energy_after_kwh"}),
    (Kind.CALIBRATION, True, True, {"flow_before_m3", "flow_after_m3", "energy_before_kwh", "energy_after_kwh",
                                    "certificate_number", "error_pct"}),
])
def test_completion_needs_the_readings_where_relevant_and_the_certificate_of_a_calibration(kind, flow, energy, needed):
    assert done_fields(kind, has_flow_meter=flow, has_energy_meter=energy) == needed
    for name in needed:
        with pytest.raises(TransitionError) as missing:
            check_move(State.ON_SITE, State.DONE, {**FULL, name: None}, kind=kind, has_flow_meter=flow,
                       has_energy_meter=energy)
        assert missing.value.field == name


def test_readings_may_not_run_backwards_and_a_rating_is_whole_and_only_on_a_calibration():
    with pytest.raises(TransitionError) as backwards:
        check_move(State.ON_SITE, State.DONE, {**FULL, "flow_after_m3": 99.0}, kind=Kind.REPAIR, has_flow_meter=True)
    assert backwards.value.field == "flow_after_m3"
    with pytest.raises(TransitionError) as half:
        check_move(State.ON_SITE, State.DONE, {**FULL, "measured_m3": 120.0}, kind=Kind.CALIBRATION)
    assert half.value.field == "measured_kwh"
    with pytest.raises(TransitionError):
        check_move(State.ON_SITE, State.DONE, {**FULL, "measured_m3": 120.0, "measured_kwh": 40.0}, kind=Kind.REPAIR)
    check_move(State.ON_SITE, State.DONE, {**FULL, "measured_m3": 120.0, "measured_kwh": 40.0}, kind=Kind.CALIBRATION)


def test_haversine_distances():
    assert haversine_m(44.0, 87.0, 44.0, 87.0) == 0
    # one degree of latitude is about 111.2 km anywhere
    assert haversine_m(44.0, 87.0, 45.0, 87.0) == pytest.approx(111_195, rel=1e-3)
    # 0.4° of longitude and 0.18° of latitude apart at 44° N
    assert haversine_m(44.01, 87.30, 44.19, 86.90) == pytest.approx(37_500, rel=0.1)
