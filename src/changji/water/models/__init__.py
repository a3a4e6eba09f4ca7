"""Water app models, one aggregate per module, re-exported here."""

from .coefficients import CoefficientMethod, WellCoefficient
from .commands import Command, CommandKind, CommandState
from .frames import Frame, FrameOutcome, QuarantinedTerminal, Snapshot
from .readings import Reading
from .registry import Meter, MeterKind, MeterReplacement, Terminal, WaterUser, WaterUserKind, Well, WellKind, WellUse
from .usage import DailyUsage, DerivationCursor, UsageSource

__all__ = [
    "CoefficientMethod",
    "WellCoefficient",
    "Command",
    "DailyUsage",
    "DerivationCursor",
    "CommandKind",
    "CommandState",
    "Frame",
    "FrameOutcome",
    "Meter",
    "MeterKind",
    "MeterReplacement",
    "QuarantinedTerminal",
    "Reading",
    "Snapshot",
    "Terminal",
    "UsageSource",
    "WaterUser",
    "WaterUserKind",
    "Well",
    "WellKind",
    "WellUse",
]
