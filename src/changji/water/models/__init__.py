"""Water app models, one aggregate per module, re-exported here."""

from .commands import Command, CommandKind, CommandState
from .frames import Frame, FrameOutcome, QuarantinedTerminal, Snapshot
from .readings import Reading
from .registry import Meter, MeterKind, MeterReplacement, Terminal, WaterUser, WaterUserKind, Well, WellKind, WellUse

__all__ = [
    "Command",
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
    "WaterUser",
    "WaterUserKind",
    "Well",
    "WellKind",
    "WellUse",
]
