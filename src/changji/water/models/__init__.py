"""Water app models, one aggregate per module, re-exported here."""

from changji.water.models.alarms import Alarm, AlarmEvent, AlarmRuleState, WorkOrder, WorkOrderKind, WorkOrderState
from changji.water.models.coefficients import CoefficientMethod, WellCoefficient
from changji.water.models.commands import Command, CommandKind, CommandState
from changji.water.models.exchange import (
    ExchangeNonce,
    OutboundBatch,
    PeerStream,
    RawReadingRequest,
    RefusedRow,
    StreamDelivery,
)
from changji.water.models.frames import Frame, FrameOutcome, PictureTrigger, QuarantinedTerminal, Snapshot
from changji.water.models.groundwater import ControlLevel, OverdraftZone
from changji.water.models.kpi import DeploymentPlan, KpiMetric, KpiTarget
from changji.water.models.licences import AnnualPlan, CountyWaterTarget, Licence, LicenceState, WaterSource
from changji.water.models.norms import CropPlan, IrrigationMethod, NormKind, QuotaNorm
from changji.water.models.open_data import OpenDataSetting
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
from changji.water.models.sharing import DownstreamPeer, OutboxEntry, UpstreamLink
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
    "AllocationChange",
    "AnnualPlan",
    "CoefficientMethod",
    "Command",
    "CommandKind",
    "CommandState",
    "ContractorWorker",
    "ControlLevel",
    "CountyWaterTarget",
    "CropPlan",
    "DailyUsage",
    "DashboardFigures",
    "DeploymentPlan",
    "DerivationCursor",
    "DeviceBatch",
    "DownstreamPeer",
    "Frame",
    "FrameOutcome",
    "IrrigationMethod",
    "KpiMetric",
    "KpiTarget",
    "Licence",
    "LicenceState",
    "LinkMode",
    "MaintenanceContract",
    "MaintenanceContractor",
    "Meter",
    "MeterCalibration",
    "MeterKind",
    "MeterOwner",
    "MeterReplacement",
    "MonthlyUsage",
    "NormKind",
    "OpenDataSetting",
    "OutboxEntry",
    "OutboundBatch",
    "PeerStream",
    "RawReadingRequest",
    "RefusedRow",
    "StreamDelivery",
    "ExchangeNonce",
    "OverdraftArea",
    "OverdraftLevel",
    "OverdraftZone",
    "PicturePolicy",
    "PictureTrigger",
    "ProfileSuggestion",
    "ProtocolProfile",
    "ProtocolProfileVersion",
    "QuarantinedTerminal",
    "QuotaNorm",
    "QuotaPolicy",
    "Reading",
    "Report",
    "ReportPeriod",
    "SealedMonth",
    "Snapshot",
    "SuggestionState",
    "TaxZone",
    "Terminal",
    "TerminalDay",
    "UpstreamLink",
    "UsageSource",
    "WaterSource",
    "WaterTaxRate",
    "WaterUser",
    "WaterUserKind",
    "Well",
    "WellCoefficient",
    "WellKind",
    "WellUse",
    "WorkOrder",
    "WorkOrderEvent",
    "WorkOrderKind",
    "WorkOrderPhoto",
    "WorkOrderState",
]
