"""The bureau's deployment plan of the monitoring sets and its KPI targets (考核目标)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeploymentPlan(models.Model):
    """How many monitoring sets (计量监控设施) a county is to install in a year (设备建设计划)."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县（市）"))
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    planned_sets = models.PositiveIntegerField(_("计划安装套数"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("设备建设计划")
        verbose_name_plural = _("设备建设计划")
        ordering = ["year", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="deployment_plan_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id}: {self.planned_sets}"


class KpiMetric(models.TextChoices):
    INSTALLATION_RATE = "installation_rate", _("安装完成率")
    NEW_ONLINE_RATE = "new_online_rate", _("新设备上线率")
    ONLINE_RATE = "online_rate", _("上线率")
    ACCEPTANCE_RATE = "acceptance_rate", _("验收率")
    INTACT_RATE = "intact_rate", _("设备完好率")
    ACCURACY_RATE = "accuracy_rate", _("数据准确率")


class KpiTarget(models.Model):
    """The bureau's target for one KPI in one year (考核目标), for a region and everything below it.

    The prefecture's target applies to every county without its own; a county's own target overrides it.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    metric = models.CharField(_("指标"), max_length=24, choices=KpiMetric.choices)
    target_pct = models.FloatField(_("目标值（%）"), validators=[MinValueValidator(0.0), MaxValueValidator(100.0)])

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("考核目标")
        verbose_name_plural = _("考核目标")
        ordering = ["year", "region__code", "metric"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "metric"], name="kpi_target_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id} {self.metric} ≥ {self.target_pct}%"
