"""取水许可 and 年度取水计划 (总量控制): licences, their annual plans, and each county's 总量 control target.

A licence (取水许可证, 《取水许可和水资源费征收管理条例》) lets one water user take a permitted volume a year
from one source for one purpose, through the wells attached to it, between two dates. Each year the bureau
sets an annual withdrawal plan (年度取水计划) per licence, broken down by month; the sum of a county's plans is
checked against the county's 总量 control target. The allocations the quota sweep enforces
(``Allocation``) are derived from the plans and targets (``water.licences.allocations``), never entered by hand.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.water.models.registry import WellUse


class WaterSource(models.TextChoices):
    GROUNDWATER = "groundwater", _("地下水")
    SURFACE = "surface", _("地表水")


class LicenceState(models.TextChoices):
    """The life of a licence; the allowed moves are ``water.licences.states.TABLE``."""

    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("吊销")
    EXPIRED = "expired", _("过期")


class Licence(models.Model):
    """A water-abstraction licence (取水许可证) of one water user, with the wells it covers."""

    number = models.CharField(_("许可证编号"), max_length=64, unique=True)
    water_user = models.ForeignKey("water.WaterUser", on_delete=models.PROTECT, related_name="licences",
                                   verbose_name=_("取水权人"))
    source = models.CharField(_("水源类型"), max_length=16, choices=WaterSource.choices,
                              default=WaterSource.GROUNDWATER)
    purpose = models.CharField(_("取水用途"), max_length=16, choices=WellUse.choices, default=WellUse.AGRICULTURAL)
    permitted_m3_per_year = models.FloatField(_("许可年取水量（立方米）"))
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    issuing_authority = models.CharField(_("发证机关"), max_length=128)
    wells = models.ManyToManyField("water.Well", related_name="licences", blank=True, verbose_name=_("取水井"))
    state = models.CharField(_("状态"), max_length=16, choices=LicenceState.choices, default=LicenceState.VALID)
    state_reason = models.TextField(_("状态说明"), blank=True)
    #: The nearest expiry warning already given (90, then 30 days ahead); None before the first.
    expiry_warned_days = models.PositiveSmallIntegerField(_("已发到期提醒（天）"), null=True, blank=True,
                                                          editable=False)
    #: The water user's region, which scopes the licence; set on save.
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", editable=False,
                               verbose_name=_("所属区划"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    #: The downstream peer (``DownstreamPeer.key_id``) this row was received from (上报自下级); blank: kept here.
    #: Received rows are the lower level's: the jobs of this instance never act on them on their own.
    reported_by = models.CharField(_("上报来源"), max_length=40, blank=True, default="", editable=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("取水许可证")
        verbose_name_plural = _("取水许可证")
        ordering = ["number"]
        indexes = [models.Index(fields=["state", "valid_to"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_to__gte=models.F("valid_from")),
                                   name="licence_valid_span"),
            models.CheckConstraint(condition=models.Q(permitted_m3_per_year__gte=0),
                                   name="licence_volume_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: object, **kwargs: object) -> None:
        self.region_id = self.water_user.region_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AnnualPlan(models.Model):
    """One licence's withdrawal plan for one calendar year (年度取水计划), with its monthly breakdown.

    ``monthly_m3`` holds twelve volumes, January first, that sum to ``volume_m3`` (a seasonal plan is
    written as the months of its seasons). The quota sweep enforces the year's volume through the
    allocations derived from it; the months drive the plan-against-use page.
    """

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="plans", verbose_name=_("取水许可证"))
    year = models.PositiveSmallIntegerField(_("年度"))
    volume_m3 = models.FloatField(_("年度计划取水量（立方米）"))
    monthly_m3 = models.JSONField(_("分月计划（立方米）"), default=list)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    #: The licence's region; set on save.
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("年度取水计划")
        verbose_name_plural = _("年度取水计划")
        ordering = ["-year", "licence"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "year"], name="annual_plan_licence_year"),
            models.CheckConstraint(condition=models.Q(volume_m3__gte=0), name="annual_plan_volume_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.licence_id}: {self.volume_m3:,.0f} m³"

    def save(self, *args: object, **kwargs: object) -> None:
        self.region_id = self.licence.region_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CountyWaterTarget(models.Model):
    """A region's 总量 control target for one year (用水总量控制指标), at any level: region, prefecture, county.

    The name is historical: targets began at the county. The level above sets a region's target and the region
    allocates it further to its children (自治区 → 州 → 县); the children's targets of a year should not add up to
    more than their parent's (``water.sharing.targets.allocation``), and a county's plans are checked against its
    own target (``water.plans.service.county_balance``). A target received from the upstream instance
    (``from_upstream``) is read-only here: only the level that set it changes it.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(_("年度"))
    target_m3 = models.FloatField(_("用水总量控制指标（立方米）"))
    groundwater_target_m3 = models.FloatField(_("其中地下水（立方米）"), null=True, blank=True)
    note = models.CharField(_("依据"), max_length=255, blank=True)
    #: Set by the level above and received through the exchange (上级下达); read-only at this level.
    from_upstream = models.BooleanField(_("上级下达"), default=False, editable=False)
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True, editable=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("用水总量控制指标")
        verbose_name_plural = _("用水总量控制指标")
        ordering = ["-year", "region"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="county_target_region_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id}: {self.target_m3:,.0f} m³"
