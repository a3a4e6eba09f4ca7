"""总量控制、定额管理: annual allocations per well, water user or region, and their changes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Allocation(models.Model):
    """One year's water allocation (年度用水指标) of a well, a water user, or a region.

    Exactly one of ``well``, ``water_user`` and ``region`` is set. The allocation in force is
    ``allocation_m3`` plus the sum of its changes (追加/充值). The quota fields record what the
    quota sweep last did: the highest warning threshold reached, whether it stopped the pump, and
    an operator's override (with reason and expiry) that keeps the pump running past 100 %.
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    well = models.ForeignKey("water.Well", on_delete=models.CASCADE, null=True, blank=True, related_name="allocations")
    water_user = models.ForeignKey(
        "water.WaterUser", on_delete=models.CASCADE, null=True, blank=True, related_name="allocations"
    )
    region = models.ForeignKey("core.Region", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    allocation_m3 = models.FloatField(_("年度水量指标（立方米）"))
    allocation_kwh = models.FloatField(_("年度电量指标（千瓦时）"), null=True, blank=True)
    level_reached = models.FloatField(_("已达预警阈值"), default=0.0)
    stopped_by_quota = models.BooleanField(_("已因超指标关泵"), default=False)
    override_until = models.DateTimeField(_("人工放行至"), null=True, blank=True)
    override_reason = models.TextField(_("放行原因"), blank=True)
    override_by_name = models.CharField(_("放行人"), max_length=150, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    #: The annual plan this well's allocation was derived from (``water.licences.allocations``); a county's
    #: allocation is derived from its CountyWaterTarget and has none. Allocations are never entered by hand.
    plan = models.ForeignKey("water.AnnualPlan", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="allocations", verbose_name=_("年度取水计划"))
    #: The region that scopes this row (the holder's own region); set on save.
    scope_region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", editable=False, null=True
    )

    REGION_SCOPE = "scope_region"

    class Meta:
        verbose_name = _("用水指标")
        verbose_name_plural = _("用水指标")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(well__isnull=False, water_user__isnull=True, region__isnull=True)
                    | Q(well__isnull=True, water_user__isnull=False, region__isnull=True)
                    | Q(well__isnull=True, water_user__isnull=True, region__isnull=False)
                ),
                name="allocation_exactly_one_holder",
            ),
            models.UniqueConstraint(
                fields=["year", "well"], condition=Q(well__isnull=False), name="allocation_well_year"
            ),
            models.UniqueConstraint(
                fields=["year", "water_user"], condition=Q(water_user__isnull=False), name="allocation_user_year"
            ),
            models.UniqueConstraint(
                fields=["year", "region"], condition=Q(region__isnull=False), name="allocation_region_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.well or self.water_user or self.region}: {self.allocation_m3:,.0f} m³"

    def save(self, *args: object, **kwargs: object) -> None:
        holder = self.well or self.water_user
        self.scope_region = holder.region if holder is not None else self.region
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AllocationChange(models.Model):
    """An added (or withdrawn) allocation: recharge, transfer or correction. Appended, never edited."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="changes")
    amount_m3 = models.FloatField(_("调整水量（立方米）"))
    reason = models.TextField(_("原因"))
    by_name = models.CharField(_("经办人"), max_length=150)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    REGION_SCOPE = "allocation__scope_region"

    class Meta:
        verbose_name = _("指标调整")
        verbose_name_plural = _("指标调整")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.amount_m3:+,.0f} m³"


class QuotaPolicy(models.Model):
    """Warning thresholds and the cut-off policy of a region (the nearest one above a well applies)."""

    region = models.OneToOneField("core.Region", on_delete=models.CASCADE, related_name="+")
    thresholds = models.JSONField(_("预警阈值"), default=list, help_text=_("如 [0.8, 0.9, 1.0]"))
    auto_stop = models.BooleanField(_("超指标自动关泵"), default=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("总量控制策略")
        verbose_name_plural = _("总量控制策略")

    def __str__(self) -> str:
        return f"{self.region_id} {self.thresholds} {'auto-stop' if self.auto_stop else 'warn only'}"
