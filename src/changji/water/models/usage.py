"""Derived figures: daily usage per well (用水量日统计). Rebuildable from readings at any time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageSource(models.TextChoices):
    METERED = "metered", _("计量")
    ESTIMATED = "estimated", _("以电折水")
    NONE = "none", _("无数据")


class DailyUsage(models.Model):
    """One well's water and electricity use on one local (Asia/Shanghai) day.

    Derived from readings (一数一源) by ``water.usage``; never edited by hand. Following Home
    Assistant's statistics, each row keeps the last register total of the day and the accumulated
    usage since the well's first reading (``*_sum``), so the use over any span is a difference of
    sums. ``*_reason`` names the non-normal segments that touched the day (gap, rollover,
    replacement, reversal, impossible_jump) and ``spread`` marks usage spread across a gap.
    """

    well = models.ForeignKey("water.Well", on_delete=models.CASCADE, related_name="daily_usage", db_index=False)
    day = models.DateField(_("日期"))
    water_m3 = models.FloatField(_("计量水量（立方米）"), null=True, blank=True)
    energy_kwh = models.FloatField(_("用电量（千瓦时）"), null=True, blank=True)
    water_sum_m3 = models.FloatField(_("累计计量水量（立方米）"), default=0.0)
    energy_sum_kwh = models.FloatField(_("累计用电量（千瓦时）"), default=0.0)
    last_volume_m3 = models.FloatField(_("日末水表读数"), null=True, blank=True)
    last_energy_kwh = models.FloatField(_("日末电表读数"), null=True, blank=True)
    last_observed_at = models.DateTimeField(_("日内最后一条数据时间"), null=True, blank=True)
    water_reason = models.CharField(_("水量区段说明"), max_length=64, blank=True)
    energy_reason = models.CharField(_("电量区段说明"), max_length=64, blank=True)
    spread = models.BooleanField(_("含断数分摊"), default=False)
    coefficient_m3_per_kwh = models.FloatField(_("折算系数（立方米/千瓦时）"), null=True, blank=True)
    estimated_water_m3 = models.FloatField(_("以电折水水量（立方米）"), null=True, blank=True)
    usage_m3 = models.FloatField(_("认定用水量（立方米）"), null=True, blank=True)
    source = models.CharField(_("用水量来源"), max_length=16, choices=UsageSource.choices, default=UsageSource.NONE)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("日用水量")
        verbose_name_plural = _("日用水量")
        ordering = ["well", "day"]
        constraints = [models.UniqueConstraint(fields=["well", "day"], name="daily_usage_unique_day")]
        # Covering for use totals and 水电一致 counts of a span (dashboard, quotas, KPIs): the open
        # month is read from the index alone instead of jumping to ~300,000 table rows.
        indexes = [models.Index(fields=["day", "well", "usage_m3", "energy_kwh", "water_m3", "estimated_water_m3"],
                                name="daily_usage_day_use")]

    def __str__(self) -> str:
        return f"{self.well_id} {self.day}"


class DerivationCursor(models.Model):
    """How far derivation has followed the frame archive (the last frame id whose reading is derived)."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    last_frame_id = models.BigIntegerField(_("最后处理的报文"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("派生进度")
        verbose_name_plural = _("派生进度")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_frame_id}"


class TerminalDay(models.Model):
    """One terminal's reporting on one local day (终端日统计), the input of the bureau's KPIs.

    Derived from readings, refused late frames and alarms; rebuildable (``changji water rebuild``).
    ``readings_valid`` counts readings no rule marks invalid (``kpi.validity.invalid_reasons``),
    ``invalid_by_reason`` the invalid ones per reason; ``condition`` is the day's device condition
    (``kpi.validity.day_condition``: 完好, 设备故障 or 通信中断) and ``faulty`` is condition = 设备故障.
    """

    terminal = models.ForeignKey("water.Terminal", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(_("日期"))
    expected_reports = models.PositiveIntegerField(_("应报数"))
    received_reports = models.PositiveIntegerField(_("实报数"))
    readings_valid = models.PositiveIntegerField(_("有效数据数"))
    faulty = models.BooleanField(_("设备故障"), default=False)
    condition = models.CharField(_("设备状况"), max_length=16, default="intact",
                                 choices=[("intact", _("完好")), ("device_fault", _("设备故障")),
                                          ("comm_loss", _("通信中断"))])
    condition_cause = models.CharField(_("状况原因"), max_length=32, blank=True)
    readings_rejected_late = models.PositiveIntegerField(_("超时延拒收数"), default=0)
    invalid_by_reason = models.JSONField(_("无效数据按原因"), default=dict, blank=True)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("终端日统计")
        verbose_name_plural = _("终端日统计")
        constraints = [models.UniqueConstraint(fields=["terminal", "day"], name="terminal_day_unique")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.terminal_id} {self.day}"


class ReportPeriod(models.TextChoices):
    MONTH = "month", _("月报")
    QUARTER = "quarter", _("季报")
    YEAR = "year", _("年报")


class Report(models.Model):
    """A generated report file (月报/季报/年报) kept for download; regenerated on demand."""

    period = models.CharField(_("周期"), max_length=8, choices=ReportPeriod.choices)
    first_day = models.DateField(_("起始日"))
    last_day = models.DateField(_("截止日"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    file_format = models.CharField(_("格式"), max_length=8)
    file = models.FileField(_("文件"), upload_to="reports/%Y/")
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    generated_by = models.CharField(_("生成人"), max_length=150)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("统计报表")
        verbose_name_plural = _("统计报表")
        ordering = ["-generated_at"]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.first_day}–{self.last_day} {self.region_id}"


class MonthlyUsage(models.Model):
    """One well's figures for one closed local month (月统计): a rollup of its DailyUsage rows.

    Compiled when a month closes (``water.monthly``) and recompiled whenever late data changes a
    day of a closed month, so month, quarter and year reports read about 10,000 rows per month
    instead of 300,000. The open month is always summed from DailyUsage. Rebuildable at any time.
    ``agreement_*`` count the well-days where metered water and 以电折水 were both at least
    ``kpi.AGREEMENT_MIN_M3`` (judged) and within ``kpi.AGREEMENT_TOLERANCE`` of each other (ok).
    """

    well = models.ForeignKey("water.Well", on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField(_("月份（月初日）"))
    usage_m3 = models.FloatField(_("认定用水量（立方米）"), null=True, blank=True)
    water_m3 = models.FloatField(_("计量水量（立方米）"), null=True, blank=True)
    estimated_water_m3 = models.FloatField(_("以电折水水量（立方米）"), null=True, blank=True)
    energy_kwh = models.FloatField(_("用电量（千瓦时）"), null=True, blank=True)
    estimated_days = models.PositiveIntegerField(_("以电折水天数"), default=0)
    agreement_judged = models.PositiveIntegerField(_("参与比对天数"), default=0)
    agreement_ok = models.PositiveIntegerField(_("比对一致天数"), default=0)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("月用水量")
        verbose_name_plural = _("月用水量")
        constraints = [models.UniqueConstraint(fields=["well", "month"], name="monthly_usage_unique_month")]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.well_id} {self.month:%Y-%m}"


class SealedMonth(models.Model):
    """A closed month whose MonthlyUsage rows have been compiled for every well."""

    month = models.DateField(_("月份（月初日）"), unique=True)
    sealed_at = models.DateTimeField(_("汇总时间"), auto_now=True)

    class Meta:
        verbose_name = _("已汇总月份")
        verbose_name_plural = _("已汇总月份")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class DashboardFigures(models.Model):
    """The heavy figures of the dashboard (一屏看水) for one region, as last computed.

    Use against allocation per county for today, the month and the year, the KPIs and their 30-day
    trend sum hundreds of thousands of daily rows; the minutely job recomputes them every few
    minutes (``water.dashboard_figures``) and the page reads one row. Derived; safe to delete.
    """

    region = models.OneToOneField("core.Region", on_delete=models.CASCADE, primary_key=True, related_name="+")
    computed_at = models.DateTimeField(_("计算时间"))
    figures = models.JSONField(_("指标"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("看板指标")
        verbose_name_plural = _("看板指标")

    def __str__(self) -> str:
        return f"{self.region_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
