"""Alarms (告警) raised by the rules, their handling history, and on-site work orders."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.water.alarms.rules import KIND_LABELS, SEVERITY_LABELS, AlarmKind, Severity
from changji.water.alarms.workflow import STATE_LABELS, AlarmState


class Alarm(models.Model):
    """One alarm of one terminal, from raise to close (the state machine is ``water.alarms.workflow``).

    Raised by the system with the reading that raised it and the evidence (the values that show
    it); acknowledged, assigned to an on-site check (现场核查) and closed with a result and
    evidence (a camera snapshot), or cleared automatically when the condition recovers.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    terminal = models.ForeignKey("water.Terminal", on_delete=models.PROTECT, related_name="alarms")
    well = models.ForeignKey("water.Well", on_delete=models.PROTECT, null=True, blank=True, related_name="alarms")
    kind = models.CharField(_("告警类型"), max_length=32, choices=[(k.value, KIND_LABELS[k]) for k in AlarmKind])
    severity = models.CharField(_("严重程度"), max_length=16,
                                choices=[(s.value, SEVERITY_LABELS[s]) for s in Severity])
    state = models.CharField(_("状态"), max_length=16, choices=[(s.value, STATE_LABELS[s]) for s in AlarmState])
    raised_at = models.DateTimeField(_("产生时间"))
    cleared_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    #: No database constraint: readings are partitioned by month on PostgreSQL (water/0027, water.partitions).
    reading = models.ForeignKey("water.Reading", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_constraint=False)
    evidence = models.JSONField(_("依据"), default=dict)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("核查人"),
    )
    due_at = models.DateTimeField(_("核查期限"), null=True, blank=True)
    result = models.TextField(_("处理结果"), blank=True)
    snapshot = models.ForeignKey("water.Snapshot", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("现场照片"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["state", "kind"]), models.Index(fields=["terminal", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.terminal_id} {self.state}"


class AlarmEvent(models.Model):
    """One step of an alarm's history (appended, never updated)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True,
                                  choices=[(s.value, STATE_LABELS[s]) for s in AlarmState])
    to_state = models.CharField(_("新状态"), max_length=16, choices=[(s.value, STATE_LABELS[s]) for s in AlarmState])
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_name = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)

    REGION_SCOPE = "alarm__terminal__region"

    class Meta:
        verbose_name = _("告警处理记录")
        verbose_name_plural = _("告警处理记录")
        ordering = ["alarm", "at"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.from_state}→{self.to_state}"


class AlarmRuleState(models.Model):
    """The debounce counters of one rule on one terminal (rules.AlarmCounter, persisted)."""

    terminal = models.ForeignKey("water.Terminal", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    active_streak = models.PositiveIntegerField(default=0)
    inactive_streak = models.PositiveIntegerField(default=0)
    raised = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["terminal", "kind"], name="alarm_rule_state_unique")]


class WorkOrderKind(models.TextChoices):
    SITE_CHECK = "site_check", _("现场核查")
    CALIBRATION = "calibration", _("检定校准")
    REPAIR = "repair", _("维修")
    INSTALLATION = "installation", _("安装")


class WorkOrderState(models.TextChoices):
    """The states of ``water.orders.states.State`` (the table lives there)."""

    PENDING = "pending", _("待派单")
    ASSIGNED = "assigned", _("已派单")
    ON_SITE = "on_site", _("已到场")
    DONE = "done", _("已完成")
    REVIEWED = "reviewed", _("已审核")
    CANCELLED = "cancelled", _("已撤销")


class WorkOrder(models.Model):
    """A job for the maintenance team: an on-site check of an alarm, a meter calibration, a repair, an installation.

    It moves along ``water.orders.states.TABLE`` only through ``water.orders.service.transition``; each step is a
    ``WorkOrderEvent`` (who, when). Completion carries the result, the registers before and after, for a
    calibration the certificate and error, optionally a 率定 (measured m³ and kWh); a review records them on the
    meter and the well (``MeterCalibration``, ``WellCoefficient``).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=WorkOrderKind.choices)
    well = models.ForeignKey("water.Well", on_delete=models.PROTECT, related_name="work_orders")
    alarm = models.ForeignKey(Alarm, on_delete=models.SET_NULL, null=True, blank=True, related_name="work_orders")
    meter = models.ForeignKey("water.Meter", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("负责人"))
    due_on = models.DateField(_("期限"))
    state = models.CharField(_("状态"), max_length=16, choices=WorkOrderState.choices, default=WorkOrderState.PENDING)
    description = models.TextField(_("内容"), blank=True)
    result = models.TextField(_("结果"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("创建人"))
    assigned_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    on_site_latitude = models.FloatField(_("到场纬度"), null=True, blank=True)
    on_site_longitude = models.FloatField(_("到场经度"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间（现场）"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    flow_before_m3 = models.FloatField(_("流量计读数（前，m³）"), null=True, blank=True)
    flow_after_m3 = models.FloatField(_("流量计读数（后，m³）"), null=True, blank=True)
    energy_before_kwh = models.FloatField(_("电表读数（前，kWh）"), null=True, blank=True)
    energy_after_kwh = models.FloatField(_("电表读数（后，kWh）"), null=True, blank=True)
    certificate_number = models.CharField(_("检定证书编号"), max_length=64, blank=True)
    error_pct = models.FloatField(_("示值误差（%）"), null=True, blank=True)
    measured_m3 = models.FloatField(_("率定水量（m³）"), null=True, blank=True)
    measured_kwh = models.FloatField(_("率定电量（kWh）"), null=True, blank=True)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["due_on"]
        indexes = [models.Index(fields=["state", "due_on"]), models.Index(fields=["assignee", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.well_id} {self.due_on}"
