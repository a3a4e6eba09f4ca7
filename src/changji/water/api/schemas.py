"""Schemas of the water API (``water.api``): explicit fields, units in the names, times ISO 8601 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator

from changji.core.api_schemas import Id, JsonObject, Text
from changji.core.localtime import local_day
from changji.water.models import Alarm, Allocation
from changji.water.quotas.sweep import effective_allocation, used_m3


def _utc(value: datetime) -> datetime:
    """Return an aware datetime in UTC (naive values are taken as UTC)."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class WellOut(Schema):
    """A well of the registry (机井)."""

    id: int
    code: str
    name: str
    kind: str
    use: str
    region_id: str
    latitude: float
    longitude: float
    depth_m: float | None
    pipe_diameter_mm: int | None
    pump_rated_power_kw: float | None
    pump_rated_flow_m3h: float | None
    water_user_id: int | None


class TerminalOut(Schema):
    """A field terminal (遥测终端); its password is never exposed."""

    id: int
    protocol: str
    variant: str
    address: str
    report_interval_s: int
    well_id: int | None
    region_id: str
    installed_on: date | None
    batch: str
    last_seen_at: UtcDatetime | None

    @staticmethod
    def resolve_batch(obj: Any) -> str:
        """The device batch's name ("" without one)."""
        return obj.batch.name if obj.batch_id else ""


class ReadingOut(Schema):
    """One observation of a terminal, in platform units."""

    id: int
    terminal_id: int
    observed_at: UtcDatetime
    received_at: UtcDatetime
    flow_m3h: float | None
    volume_m3: float | None
    energy_kwh: float | None
    level_m: float | None
    depth_m: float | None
    battery_v: float | None
    pump_on: bool | None
    door_open: bool | None
    ac_power_lost: bool | None
    future_dated: bool


class DailyUsageOut(Schema):
    """One well's use on one local (Asia/Shanghai) day."""

    day: date
    usage_m3: float | None
    source: str
    water_m3: float | None
    estimated_water_m3: float | None
    energy_kwh: float | None
    water_sum_m3: float
    energy_sum_kwh: float
    coefficient_m3_per_kwh: float | None
    water_reason: str
    energy_reason: str
    spread: bool


class QuotaRowOut(Schema):
    """One county's allocation and use in a year (quotas.quota_overview); ``share`` None = use without allocation."""

    region: str
    name: str
    year: int
    allocation_m3: float
    own_allocation: bool
    used_m3: float
    remaining_m3: float
    share: float | None
    level: float


class AllocationOut(Schema):
    """A year's allocation of a well, water user or region, with the amount in force and the use so far."""

    id: int
    year: int
    well_id: int | None
    water_user_id: int | None
    region_id: str | None
    scope_region_id: str | None
    allocation_m3: float
    allocation_kwh: float | None
    effective_allocation_m3: float
    used_m3: float
    level_reached: float
    stopped_by_quota: bool
    override_until: UtcDatetime | None

    @staticmethod
    def resolve_effective_allocation_m3(obj: Allocation) -> float:
        return effective_allocation(obj)

    @staticmethod
    def resolve_used_m3(obj: Allocation) -> float:
        return used_m3(obj, local_day(timezone.now()))


class AlarmOut(Schema):
    """An alarm (告警) and where its handling stands; each code comes with its Chinese name (the model's choices)."""

    id: UUID
    terminal_id: int
    well_id: int | None
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    state: str
    state_label: str
    raised_at: UtcDatetime
    cleared_at: UtcDatetime | None
    evidence: dict[str, Any]
    assignee_id: int | None
    due_at: UtcDatetime | None
    result: str
    snapshot_id: int | None
    closed_at: UtcDatetime | None

    @staticmethod
    def resolve_kind_label(obj: Alarm) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_severity_label(obj: Alarm) -> str:
        return str(obj.get_severity_display())

    @staticmethod
    def resolve_state_label(obj: Alarm) -> str:
        return str(obj.get_state_display())


class AlarmTransitionIn(Schema):
    """A move of an alarm: ``to`` the new state, plus the fields that state requires (alarm_workflow)."""

    to: Text
    note: Text | None = None
    assignee_id: Id | None = None
    due: Text | None = Field(None, description="ISO 8601 datetime with offset, or a date (end of that local day)")
    result: Text | None = None
    evidence: Id | Text | None = Field(None, description="a snapshot id of the alarm's terminal, or a photo path")
    reason: Text | None = None


class CommandOut(Schema):
    """A downlink command (远程指令) and its delivery."""

    id: UUID
    terminal_id: int
    kind: str
    params: dict[str, Any]
    state: str
    reason: str
    requested_by_name: str
    created_at: UtcDatetime
    expires_at: UtcDatetime
    attempts: int
    max_attempts: int
    last_sent_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    answer: Any = None
    error: str


class CommandIn(Schema):
    """A command to queue; ``reason`` is mandatory (a blank one is a 400 on ``reason``)."""

    terminal_id: Id
    kind: Text
    reason: Text = ""
    params: JsonObject = None


class CancelIn(Schema):
    """Why a command is cancelled (mandatory)."""

    reason: Text = ""


class KpiOut(Schema):
    """The bureau's KPIs of a region over local days first..last; a rate is None when nothing was due."""

    region: str
    first: date
    last: date
    terminals: int
    intact_rate: float | None
    online_rate: float | None
    arrival_rate: float | None
    accuracy_rate: float | None
    agreement_rate: float | None
    comm_loss_rate: float | None  #: 通信中断率: silent because of the network, counted intact
