"""Water app models, one aggregate per module, re-exported here."""

from .alarms import Alarm, AlarmEvent, AlarmRuleState, WorkOrder, WorkOrderKind, WorkOrderState
from .coefficients import CoefficientMethod, WellCoefficient
from .commands import Command, CommandKind, CommandState
from .frames import Frame, FrameOutcome, QuarantinedTerminal, Snapshot
from .quotas import Allocation, AllocationChange, QuotaPolicy
from .readings import Reading
from .registry import Meter, MeterKind, MeterReplacement, Terminal, WaterUser, WaterUserKind, Well, WellKind, WellUse
from .usage import (
    DailyUsage,
    DashboardFigures,
    DerivationCursor,
    MonthlyUsage,
    Report,
    ReportPeriod,
    SealedMonth,
    TerminalDay,
    UsageSource,
)

__all__ = [
    "Alarm",
    "AlarmEvent",
    "AlarmRuleState",
    "Allocation",
    "AllocationChange",
    "QuotaPolicy",
    "WorkOrder",
    "WorkOrderKind",
    "WorkOrderState",
    "CoefficientMethod",
    "WellCoefficient",
    "Command",
    "DailyUsage",
    "DashboardFigures",
    "DerivationCursor",
    "MonthlyUsage",
    "SealedMonth",
    "CommandKind",
    "CommandState",
    "Frame",
    "FrameOutcome",
    "Meter",
    "MeterKind",
    "MeterReplacement",
    "QuarantinedTerminal",
    "Reading",
    "Report",
    "ReportPeriod",
    "Snapshot",
    "Terminal",
    "TerminalDay",
    "UsageSource",
    "WaterUser",
    "WaterUserKind",
    "Well",
    "WellKind",
    "WellUse",
]
