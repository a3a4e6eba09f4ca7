"""The life of a work order (运维工单) as a state table, and the fields each step needs (pure: no Django).

Every kind of order (现场核查 from alarms, 检定校准, 维修, 安装) moves along the same table::

    PENDING 待派单 ──派单──> ASSIGNED 已派单 ──到场──> ON_SITE 已到场 ──完成──> DONE 已完成 ──审核──> REVIEWED 已审核
                              ↑  ↺ 改派                                         │
                              └──────────────── 退回（原因）────────────────────┤
                                                   ON_SITE <──退回（原因）──────┘
    PENDING / ASSIGNED / ON_SITE ──撤销（原因）──> CANCELLED 已撤销

REVIEWED and CANCELLED are final. A review that sends the order back (退回, DONE → ON_SITE or DONE → ASSIGNED)
carries its reason (``RETURN_MOVES``, checked by ``check_move``). Completing needs a result; for the kinds that
touch the meters (``METER_KINDS``) also the registers before and after on each meter the well has (flow m³,
energy kWh), and for a calibration the certificate number and the error % (``done_fields``). A 率定 section
(measured m³ and kWh, both or neither) is optional on a calibration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from changji.core.transitions import Table, TransitionError, check_transition

__pure__ = True  # no Django: tests/test_architecture.py checks it


class Kind(StrEnum):
    """The values of ``water.models.WorkOrderKind`` (kept equal by tests/water/orders/test_states.py)."""

    SITE_CHECK = "site_check"
    CALIBRATION = "calibration"
    REPAIR = "repair"
    INSTALLATION = "installation"


KIND_LABELS: dict[Kind, str] = {Kind.SITE_CHECK: "现场核查", Kind.CALIBRATION: "检定校准", Kind.REPAIR: "维修",
                                Kind.INSTALLATION: "安装"}

#: The kinds an operator opens by hand (site checks come from alarms).
CREATABLE_KINDS: tuple[Kind, ...] = (Kind.REPAIR, Kind.INSTALLATION, Kind.CALIBRATION)

#: Kinds whose completion records the meters' registers before and after.
METER_KINDS: frozenset[Kind] = frozenset({Kind.CALIBRATION, Kind.REPAIR, Kind.INSTALLATION})


class State(StrEnum):
    """The values of ``water.models.WorkOrderState``."""

    PENDING = "pending"
    ASSIGNED = "assigned"
    ON_SITE = "on_site"
    DONE = "done"
    REVIEWED = "reviewed"
    CANCELLED = "cancelled"


STATE_LABELS: dict[State, str] = {State.PENDING: "待派单", State.ASSIGNED: "已派单", State.ON_SITE: "已到场",
                                  State.DONE: "已完成", State.REVIEWED: "已审核", State.CANCELLED: "已撤销"}

ALLOWED: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.ASSIGNED, State.CANCELLED}),
    State.ASSIGNED: frozenset({State.ASSIGNED, State.ON_SITE, State.CANCELLED}),  # ASSIGNED → ASSIGNED: 改派
    State.ON_SITE: frozenset({State.DONE, State.CANCELLED}),
    State.DONE: frozenset({State.REVIEWED, State.ON_SITE, State.ASSIGNED}),  # back to ON_SITE / ASSIGNED: 退回
    State.REVIEWED: frozenset(),
    State.CANCELLED: frozenset(),
}

FIELD_LABELS: dict[str, str] = {
    "assignee": "负责人", "result": "处理结果", "reason": "原因", "certificate_number": "检定证书编号",
    "error_pct": "示值误差（%）", "flow_before_m3": "流量计读数（前，m³）", "flow_after_m3": "流量计读数（后，m³）",
    "energy_before_kwh": "电表读数（前，kWh）", "energy_after_kwh": "电表读数（后，kWh）",
    "measured_m3": "率定水量（m³）", "measured_kwh": "率定电量（kWh）",
}

TABLE = Table(
    noun="工单",
    moves=ALLOWED,
    labels=STATE_LABELS,
    required={State.ASSIGNED: frozenset({"assignee"}), State.DONE: frozenset({"result"}),
              State.CANCELLED: frozenset({"reason"})},
    field_labels=FIELD_LABELS,
)

#: The moves of a review that sends a completed order back (退回); each needs its reason.
RETURN_MOVES: frozenset[tuple[State, State]] = frozenset({(State.DONE, State.ON_SITE), (State.DONE, State.ASSIGNED)})

#: The states in which an order is still to be worked (counted as overdue past its due day).
OPEN_STATES: frozenset[State] = frozenset({State.PENDING, State.ASSIGNED, State.ON_SITE})

#: The states in which an order is not finished (a meter with one is not scheduled again).
UNFINISHED_STATES: frozenset[State] = OPEN_STATES | {State.DONE}

#: The operators' names of each move, keyed by (current, target).
MOVE_LABELS: dict[tuple[State, State], str] = {
    (State.PENDING, State.ASSIGNED): "派单", (State.ASSIGNED, State.ASSIGNED): "改派",
    (State.ASSIGNED, State.ON_SITE): "到场", (State.ON_SITE, State.DONE): "完成",
    (State.DONE, State.REVIEWED): "审核通过", (State.DONE, State.ON_SITE): "退回重做",
    (State.DONE, State.ASSIGNED): "退回改派",
    **{(state, State.CANCELLED): "撤销" for state in (State.PENDING, State.ASSIGNED, State.ON_SITE)},
}


def kind_label(value: str) -> str:
    """The Chinese name of a kind given as its value (an unknown value as it is)."""
    return {str(kind): label for kind, label in KIND_LABELS.items()}.get(value, value)


def state_label(value: str) -> str:
    """The Chinese name of a state given as its value (an unknown value as it is)."""
    return {str(state): label for state, label in STATE_LABELS.items()}.get(value, value)


def done_fields(kind: str, *, has_flow_meter: bool, has_energy_meter: bool) -> frozenset[str]:
    """The fields completing an order of ``kind`` needs besides the result (the table's own)."""
    needed: set[str] = set()
    if kind in METER_KINDS:
        if has_flow_meter:
            needed |= {"flow_before_m3", "flow_after_m3"}
        if has_energy_meter:
            needed |= {"energy_before_kwh", "energy_after_kwh"}
    if kind == Kind.CALIBRATION:
        needed |= {"certificate_number", "error_pct"}
    return frozenset(needed)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and not math.isfinite(value))


def check_move(current: str, target: str, fields: Mapping[str, Any], *, kind: str = Kind.REPAIR,
               has_flow_meter: bool = False, has_energy_meter: bool = False) -> None:
    """Raise ``TransitionError`` unless the move is in ``TABLE`` with every field it needs.

    Beyond the table: a return (退回) needs its reason; completing needs ``done_fields`` and a 率定 section
    given whole (measured m³ and kWh together, both above zero), and readings that do not run backwards.
    """
    check_transition(TABLE, current, target, fields)
    if (current, target) in RETURN_MOVES and _blank(fields.get("reason")):
        raise TransitionError("reason", "退回必须填写原因")
    if target != State.DONE:
        return
    for name in sorted(done_fields(kind, has_flow_meter=has_flow_meter, has_energy_meter=has_energy_meter)):
        if _blank(fields.get(name)):
            raise TransitionError(name, f"完成工单必须填写{FIELD_LABELS[name]}")
    for before, after in (("flow_before_m3", "flow_after_m3"), ("energy_before_kwh", "energy_after_kwh")):
        low, high = fields.get(before), fields.get(after)
        if low is not None and high is not None and high < low:
            raise TransitionError(after, f"{FIELD_LABELS[after]}不能小于{FIELD_LABELS[before]}")
    measured = [fields.get("measured_m3"), fields.get("measured_kwh")]
    if any(value is not None for value in measured):
        if kind != Kind.CALIBRATION:
            raise TransitionError("measured_m3", "只有检定校准工单可以填写率定结果")
        if any(value is None or value <= 0 for value in measured):
            raise TransitionError("measured_kwh", "率定水量和电量必须同时填写且大于零")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two points given in degrees (WGS-84 mean radius)."""
    radius = 6_371_008.8
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(a)))
