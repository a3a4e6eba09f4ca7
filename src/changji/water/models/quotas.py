"""总量控制、定额管理: annual allocations per well, water user or region, and their changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changji.water.models.registry import WellUse

#: The advance notice of a quota stop when no policy says otherwise (hours): two days for the farmer to
#: apply for a top-up (追加指标) or finish an irrigation round before the pump is cut.
DEFAULT_NOTICE_HOURS = 48


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
    override_approved_by_name = models.CharField(_("放行批准人"), max_length=150, blank=True)
    override_approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("放行批准账号"))
    #: A stop announced by the sweep (预告关泵): when it was announced and when the pump will be cut if the
    #: share is still over and no override is active by then. Both None when no stop is pending.
    stop_announced_at = models.DateTimeField(_("关泵预告时间"), null=True, blank=True)
    stop_due_at = models.DateTimeField(_("预定关泵时间"), null=True, blank=True)
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
    """An added (or withdrawn) allocation: recharge, top-up (追加指标), transfer or correction. Appended, never edited.

    A top-up names who approved it and may be temporary: it counts through ``expires_on`` (an Asia/Shanghai
    day, inclusive) and not after. A change is undone by a reversal: a new row with the negated amount (and
    the same expiry) that points at it through ``reverses``; a change is reversed at most once, and a
    reversal is not itself reversed.
    """

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="changes")
    amount_m3 = models.FloatField(_("调整水量（立方米）"))
    reason = models.TextField(_("原因"))
    by_name = models.CharField(_("经办人"), max_length=150)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    approved_by_name = models.CharField(_("批准人"), max_length=150, blank=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("批准账号"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("临时追加指标在该日之后不再计入"))
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversal", verbose_name=_("冲销的调整"))

    REGION_SCOPE = "allocation__scope_region"

    class Meta:
        verbose_name = _("指标调整")
        verbose_name_plural = _("指标调整")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.amount_m3:+,.0f} m³"


class QuotaPolicy(models.Model):
    """Warning thresholds and the cut-off policy of a region for one use class (or all uses).

    Keyed by (region, use): a county's own policy, or the prefecture's as the default; ``use`` blank
    means every use class. The nearest region wins, and within it the exact use class before the
    blank one (``water.quotas.policy.pick_policy``). ``stop_at_full``: whether 100 % of the allocation
    stops the pump, after ``notice_hours`` of advance notice. A domestic (生活) well is never stopped
    automatically whatever the policy says (``water.quotas.policy.quota_action``).
    """

    region = models.ForeignKey("core.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("区划"))
    use = models.CharField(_("用途"), max_length=16, blank=True, default="",
                           choices=[("", _("全部用途")), *WellUse.choices])
    thresholds = models.JSONField(_("预警阈值"), default=list, help_text=_("如 [0.8, 0.9, 1.0]"))
    stop_at_full = models.BooleanField(_("达到100%关泵"), default=True)
    notice_hours = models.PositiveSmallIntegerField(_("关泵预告时长（小时）"), default=DEFAULT_NOTICE_HOURS)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("修改人"))
    updated_by_name = models.CharField(_("修改人名称"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("总量控制策略")
        verbose_name_plural = _("总量控制策略")
        ordering = ["region", "use"]
        constraints = [models.UniqueConstraint(fields=["region", "use"], name="quota_policy_region_use")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.use or '*'} {self.thresholds} {'stop' if self.stop_at_full else 'warn only'}"
