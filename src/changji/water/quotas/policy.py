"""Quota status and the pump stop/start decision (总量控制、定额管理).

Each well (and each water user, village, township, county and the prefecture above it) has an annual
allocation in m³. Warnings go out as use crosses 80 %, 90 % and 100 % of it, each once. At
``StopPolicy.stop_at`` the stop is announced (预告) with the policy's notice; when the notice has run
out and the share is still over, the platform cuts the pump remotely (井电双控: the terminal opens the
pump's contactor). A top-up (追加指标) or a recharge that brings the share back under the limit, or an
approved time-limited override (e.g. drought-relief irrigation), withdraws a pending announcement or
restores service: by default the terminal's lock is released and the farmer restarts on site; a remote
start is a separate, explicit operator command. A domestic (生活) well is never stopped automatically.

Plain functions over frozen dataclasses; the Django layer reads usage and allocations, calls these
and records every command it sends (docs/architecture.md, "Every control action is audited").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

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


#: The advance notice of a stop when no policy says otherwise (QuotaPolicy.notice_hours' default).
DEFAULT_NOTICE = timedelta(hours=48)
#: WellUse.DOMESTIC: a drinking-water (生活) well, never stopped automatically.
DOMESTIC = "domestic"
#: How service comes back after a quota stop (``restore_command``).
UNLOCK, START = "unlock", "start"
#: The downlink of each restore mode. ``unlock`` is the default: the terminal's lock is released and the
#: farmer restarts the pump on site (the stop left it off and locked); it goes out as 定值控制退出, the
#: SZY206-2016 AFN 33H / SL651-2014 4FH ``00`` frame (docs/protocols.md §2.5; gateway/commands.py), under a
#: kind of its own (``pump_unlock``) rather than ``quota_off``: the command list, the audit trail and the
#: notices then say "restored after a top-up" and not "quota control switched off", and a vendor whose
#: terminals release the lock otherwise can be served in the encoder without changing the meaning. ``start``
#: (92H / 4CH, a remote start) is only ever an explicit operator command: a pump that starts by itself at a
#: well nobody is watching is a hazard.
RESTORE_COMMAND = {UNLOCK: "pump_unlock", START: "pump_start"}
#: Bounds of a warning threshold (share of the allocation) and of a notice (hours: up to 30 days).
MAX_THRESHOLD = 2.0
MAX_THRESHOLDS = 6
MAX_NOTICE_HOURS = 720


@dataclass(frozen=True, slots=True)
class StopPolicy:
    """The policy that applies to one allocation (QuotaPolicy resolved by region and use class).

    ``thresholds``: the warning levels (shares, ascending); ``auto_stop``: whether reaching ``stop_at``
    (100 %) stops the pump at all (QuotaPolicy.stop_at_full); ``notice``: how long before the stop it is
    announced (预告).
    """

    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    auto_stop: bool = True
    notice: timedelta = DEFAULT_NOTICE
    stop_at: float = 1.0


@dataclass(frozen=True, slots=True)
class PumpState:
    """What the platform last did to a well's pump for its quota, and the well's use class."""

    stopped_by_quota: bool
    override_until: datetime | None = None  #: pumping allowed past the quota until then
    stop_due_at: datetime | None = None  #: a stop announced for then (None: none pending)
    use: str = "agricultural"


def override_active(pump: PumpState, now: datetime) -> bool:
    """Return whether an operator's override lets the well pump past its quota at ``now``."""
    return pump.override_until is not None and now < pump.override_until


def may_stop(policy: StopPolicy, use: str) -> bool:
    """Return whether the quota may stop this well's pump at all: never a domestic (生活) well's.

    Drinking water comes before the allocation: a village whose only well is cut has no water, so a
    domestic well over its allocation gets the warnings (and the bureau's attention) but no stop.
    """
    return policy.auto_stop and use != DOMESTIC


def quota_action(status: QuotaStatus, policy: StopPolicy, pump: PumpState, now: datetime) -> str | None:
    """Return the next step of the stop's life for one well: announce → stop → restore, or cancel.

    * "announce": the share reached ``stop_at``, the policy stops, the well is not domestic, no override is
      active and no stop is pending or done; the caller records ``stop_due_at = now + policy.notice``;
    * "stop": a stop was announced, ``stop_due_at`` has come and the share is still over with no override;
    * "cancel": a stop was announced but the share is back under (a top-up), an override is active, or the
      policy no longer stops this well: the announcement is withdrawn;
    * "restore": the pump was stopped by the quota and the share is back under, an override is active, or the
      policy no longer stops this well (a warn-only policy now, or a domestic well stopped under an older rule);
    * None otherwise. A pump stopped for another reason (a work order, a fault) is never touched here.
    """
    override = override_active(pump, now)
    over = status.share >= policy.stop_at
    stoppable = may_stop(policy, pump.use)
    if pump.stopped_by_quota:
        return "restore" if (not over or override or not stoppable) else None
    if pump.stop_due_at is not None:
        if not over or override or not stoppable:
            return "cancel"
        return "stop" if now >= pump.stop_due_at else None
    if over and stoppable and not override:
        return "announce"
    return None


def stop_due(policy: StopPolicy, now: datetime) -> datetime:
    """Return when an announced stop falls due: ``now`` plus the policy's notice."""
    return now + policy.notice


def may_start(status: QuotaStatus, policy: StopPolicy, pump: PumpState, now: datetime) -> bool:
    """Return whether an operator may start the pump remotely: the quota does not hold it (under, or overridden)."""
    return status.share < policy.stop_at or override_active(pump, now)


def restore_command(mode: str) -> str:
    """Return the downlink kind of a restore ``mode`` (``unlock`` by default, ``start`` on an explicit command)."""
    if mode not in RESTORE_COMMAND:
        raise ValueError(f"restore mode must be one of {sorted(RESTORE_COMMAND)}, got {mode!r}")
    return RESTORE_COMMAND[mode]


T = TypeVar("T")


def pick_policy(policies: Mapping[tuple[str, str], T], chain: Sequence[str], use: str) -> T | None:
    """Return the policy that applies to a well of ``use`` in the region whose ancestry is ``chain``.

    ``policies`` is keyed by (region code, use class; "" = every use), ``chain`` lists region codes from
    the root down to the well's own region. The nearest region wins; within a region the exact use class
    comes before the blank one. None when no region on the chain has a policy (the defaults apply).
    """
    for code in reversed(chain):
        for key in ((code, use), (code, "")):
            if key in policies:
                return policies[key]
    return None


def check_thresholds(values: Sequence[float]) -> tuple[float, ...]:
    """Return the warning thresholds as a tuple if they are valid, else raise ValueError (Chinese message).

    Valid: one to ``MAX_THRESHOLDS`` finite numbers, strictly ascending, each in (0, ``MAX_THRESHOLD``]
    (200 %: a warning past twice the allocation is no warning).
    """
    numbers = tuple(float(v) for v in values)
    if not 1 <= len(numbers) <= MAX_THRESHOLDS:
        raise ValueError(f"预警阈值应为 1 至 {MAX_THRESHOLDS} 个")
    if any(not math.isfinite(v) or not 0 < v <= MAX_THRESHOLD for v in numbers):
        raise ValueError("每个预警阈值应大于 0% 且不超过 200%")
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise ValueError("预警阈值应从小到大排列且不重复")
    return numbers


def check_notice_hours(hours: int) -> int:
    """Return ``hours`` if it is a valid notice (0 to ``MAX_NOTICE_HOURS``), else raise ValueError."""
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= MAX_NOTICE_HOURS:
        raise ValueError(f"关泵预告时长应为 0 至 {MAX_NOTICE_HOURS} 小时的整数")
    return hours


def top_up_counts(expires_on: date | None, day: date) -> bool:
    """Return whether a (possibly temporary) top-up counts on local ``day``: through ``expires_on`` inclusive."""
    return expires_on is None or day <= expires_on


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
