"""Quota status and the pump stop/start decision (总量控制、定额管理).

Each well (and each water user, village, township, county and the prefecture above it) has an annual
allocation in m³. Warnings go out as use crosses 80 %, 90 % and 100 % of it, each once; at
``StopPolicy.stop_at`` the platform cuts the pump remotely (井电双控: the terminal opens the pump's
contactor). Recharging (buying more water on an IC-card well) or an added allocation brings the share
back under the limit and the pump is started again. A time-limited override (e.g. an approved
drought-relief irrigation) suspends the stop until it expires.

Plain functions over frozen dataclasses; the Django layer reads usage and allocations, calls these
and records every command it sends (docs/architecture.md, "Every control action is audited").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__pure__ = True  # no Django: tests/test_architecture.py checks it

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.8, 0.9, 1.0)


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """Use against allocation, both in ``unit`` (m³, or kWh for an 电量指标); ``remaining`` is negative once over."""

    allocation: float
    used: float
    share: float
    level: float  #: the highest threshold reached, 0.0 if none
    remaining: float
    unit: str = "m3"


def _share(allocation: float, used: float) -> float:
    """Used over allocation. With no allocation (0 or negative) any use is infinitely over, none is 0."""
    if allocation > 0:
        return used / allocation
    return math.inf if used > 0 else 0.0


def quota_status(allocation: float, used: float,
                 thresholds: Sequence[float] = DEFAULT_THRESHOLDS, unit: str = "m3") -> QuotaStatus:
    """Return the status of one unit's allocation (water in m³ by default, or electricity in kWh).

    An allocation of 0 or less means "nothing may be taken": ``share`` is ``inf`` when anything was
    used (every threshold reached) and 0.0 when nothing was.
    """
    share = _share(allocation, used)
    level = max((t for t in thresholds if share >= t), default=0.0)
    return QuotaStatus(allocation, used, share, level, allocation - used, unit)


def binding_status(water: QuotaStatus, energy: QuotaStatus | None) -> QuotaStatus:
    """Return the allocation that binds: the one used to the larger share (water on a tie).

    A well may hold an electricity allocation (年度电量指标, kWh) beside its water one: where the
    flowmeter under-reads, the kWh the pump drew still counts against the holder (井电双控). Warnings
    and the stop follow whichever of the two is further used.
    """
    if energy is not None and energy.share > water.share:
        return energy
    return water


def newly_crossed(previous_used: float, used: float, allocation: float,
                  thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> list[float]:
    """Return the thresholds reached now but not before, ascending, so each warning goes out once.

    Use that goes down (a correction, a rebuilt day) crosses nothing.
    """
    before = _share(allocation, previous_used)
    now = _share(allocation, used)
    return [t for t in sorted(thresholds) if before < t <= now]


@dataclass(frozen=True, slots=True)
class StopPolicy:
    auto_stop: bool = True
    stop_at: float = 1.0


@dataclass(frozen=True, slots=True)
class PumpState:
    stopped_by_quota: bool
    override_until: datetime | None = None  #: pumping allowed past the quota until then


def quota_action(status: QuotaStatus, policy: StopPolicy, pump: PumpState, now: datetime) -> str | None:
    """Return "stop", "start" or None for one well.

    * "stop": the share reached ``stop_at``, automatic stop is on, the pump is not already stopped
      by the quota, and no override is active at ``now``;
    * "start": the pump was stopped by the quota and either the share is back under ``stop_at``
      (recharge or added allocation) or an override is now active (the bureau allowed pumping);
    * None otherwise. A pump stopped for another reason (a work order, a fault) is never started here.
    """
    override = pump.override_until is not None and now < pump.override_until
    over = status.share >= policy.stop_at
    if pump.stopped_by_quota:
        return "start" if (not over or override) else None
    if over and policy.auto_stop and not override:
        return "stop"
    return None


def _depths(units: set[str], parent_of: Mapping[str, str]) -> dict[str, int]:
    """Distance of each unit from its root; a cycle in ``parent_of`` raises ValueError."""
    depths: dict[str, int] = {}
    for unit in units:
        chain = [unit]
        while chain[-1] not in depths and chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
            if len(chain) > len(units) + 1:
                raise ValueError(f"parent_of has a cycle through {unit}")
        base = depths.get(chain[-1], 0)
        for offset, member in enumerate(reversed(chain)):
            depths.setdefault(member, base + offset)
    return depths


def roll_up(usage_by_unit: Mapping[str, float], allocation_by_unit: Mapping[str, float],
            parent_of: Mapping[str, str]) -> dict[str, QuotaStatus]:
    """Sum usage and allocations up the tree well → water user / village → township → county → prefecture.

    ``parent_of`` maps a child code to its parent code. A unit's use is its own plus all its
    descendants'. Its allocation is its own when set (the county's 总量 caps the county even if the
    villages were given more), else the sum of its children's effective allocations (0 if none).
    Every unit named in any argument gets a status.
    """
    units = set(usage_by_unit) | set(allocation_by_unit) | set(parent_of) | set(parent_of.values())
    depths = _depths(units, parent_of)
    used = {unit: 0.0 for unit in units}
    for unit, amount in usage_by_unit.items():
        node: str | None = unit
        while node is not None:
            used[node] += amount
            node = parent_of.get(node)
    children_allocation = {unit: 0.0 for unit in units}
    allocation: dict[str, float] = {}
    for unit in sorted(units, key=lambda u: -depths[u]):
        allocation[unit] = allocation_by_unit.get(unit, children_allocation[unit])
        if unit in parent_of:
            children_allocation[parent_of[unit]] += allocation[unit]
    return {unit: quota_status(allocation[unit], used[unit]) for unit in sorted(units)}
