"""Water app models, one aggregate per module, re-exported here."""

from changji.water.models.alarms import Alarm, AlarmEvent, AlarmRuleState, WorkOrder, WorkOrderKind, WorkOrderState
from changji.water.models.coefficients import CoefficientMethod, WellCoefficient
from changji.water.models.commands import Command, CommandKind, CommandState
from changji.water.models.frames import Frame, FrameOutcome, PictureTrigger, QuarantinedTerminal, Snapshot
from changji.water.models.groundwater import ControlLevel, OverdraftZone
from changji.water.models.kpi import DeploymentPlan, KpiMetric, KpiTarget
from changji.water.models.licences import AnnualPlan, CountyWaterTarget, Licence, LicenceState, WaterSource
from changji.water.models.norms import CropPlan, IrrigationMethod, NormKind, QuotaNorm
from changji.water.models.pictures import PicturePolicy
from changji.water.models.profiles import (
    DeviceBatch,
    LinkMode,
    ProfileSuggestion,
    ProtocolProfile,
    ProtocolProfileVersion,
    SuggestionState,
)
from changji.water.models.quotas import Allocation, AllocationChange, QuotaPolicy
from changji.water.models.readings import Reading
from changji.water.models.registry import (
    Meter,
    MeterKind,
    MeterReplacement,
    Terminal,
    WaterUser,
    WaterUserKind,
    Well,
    WellKind,
    WellUse,
)
from changji.water.models.tax import OverdraftArea, OverdraftLevel, TaxZone, WaterTaxRate
from changji.water.models.usage import (
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
from changji.water.models.work_orders import (
    ContractorWorker,
    MaintenanceContract,
    MaintenanceContractor,
    MeterCalibration,
    MeterOwner,
    WorkOrderEvent,
    WorkOrderPhoto,
)

__all__ = [
    "Alarm",
    "AlarmEvent",
    "AlarmRuleState",
    "Allocation",
    "AnnualPlan",
    "CountyWaterTarget",
    "Licence",
    "LicenceState",
    "WaterSource",
    "CropPlan",
    "IrrigationMethod",
    "NormKind",
    "QuotaNorm",
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
    "OverdraftArea",
    "OverdraftLevel",
    "TaxZone",
    "WaterTaxRate",
    "PicturePolicy",
    "PictureTrigger",
    "ControlLevel",
    "OverdraftZone",
    "ContractorWorker",
    "MaintenanceContract",
    "MaintenanceContractor",
    "MeterCalibration",
    "MeterOwner",
    "WorkOrderEvent",
    "WorkOrderPhoto",
    "DeviceBatch",
    "LinkMode",
    "ProfileSuggestion",
    "ProtocolProfile",
    "ProtocolProfileVersion",
    "SuggestionState",
    "DeploymentPlan",
    "KpiMetric",
    "KpiTarget",
]
