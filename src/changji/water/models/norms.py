"""用水定额 and 种植计划: the water-use norm table (versioned by year) and each water user's crop plan.

The norm table follows the autonomous region's 《新疆维吾尔自治区农业灌溉用水定额》 and its industrial and
domestic companions: a crop's norm is given per 分区 and 灌溉方式 in m³/亩 (at the field, 75% 保证率); an
industry's per 万元 of added value or per tonne of product; domestic use per person and day. The whole of
Changji lies in one zone of the regional table (北疆 天山北坡), so the prefecture-wide rows (``region`` empty)
carry the regional values; a county whose conditions differ (the dry eastern counties, the mountain
townships) has rows of its own (``region`` = the county), which take precedence for its water users
(``water.norms.rules.applicable_norm``). The table is versioned by year: ``year`` is the version, and a year
without rows uses the latest earlier version.

A crop plan line says what a water user plants in a year: crop, irrigated area (亩) and irrigation method.
The suggested volume (按定额建议水量) of a water user is Σ area × the applicable norm.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NormKind(models.TextChoices):
    CROP = "crop", _("农业（作物）")
    INDUSTRY = "industry", _("工业")
    DOMESTIC = "domestic", _("生活")


class IrrigationMethod(models.TextChoices):
    DRIP = "drip", _("滴灌")
    SPRINKLER = "sprinkler", _("喷灌")
    PIPE = "pipe", _("管灌")
    SURFACE = "surface", _("地面灌")


class QuotaNorm(models.Model):
    """One line of the 用水定额 table of one version year.

    ``region`` empty: the prefecture-wide row (every county); a county: that county's own row, which
    beats the prefecture-wide one for the county's water users. ``method`` is blank for non-crop lines.
    """

    year = models.PositiveSmallIntegerField(_("版本年度"))
    kind = models.CharField(_("类别"), max_length=16, choices=NormKind.choices)
    category = models.CharField(_("名称"), max_length=64, help_text=_("作物、行业或用水对象，如 棉花、城镇居民"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("分区（县市）"), help_text=_("留空为全州通用"))
    method = models.CharField(_("灌溉方式"), max_length=16, choices=IrrigationMethod.choices, blank=True)
    value = models.FloatField(_("定额值"))
    unit = models.CharField(_("单位"), max_length=16)
    source = models.CharField(_("依据"), max_length=255, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    #: A county's rows are in its scope; the prefecture-wide rows (no region) are added by
    #: ``water.norms.service.visible_norms`` for everyone who may read the table.
    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("用水定额")
        verbose_name_plural = _("用水定额")
        ordering = ["-year", "kind", "category", "region", "method"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "category", "region", "method"],
                                    condition=models.Q(region__isnull=False), name="quota_norm_county_unique"),
            models.UniqueConstraint(fields=["year", "kind", "category", "method"],
                                    condition=models.Q(region__isnull=True), name="quota_norm_prefecture_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="quota_norm_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category} {self.get_method_display() or ''} {self.value:g} {self.unit}"


class CropPlan(models.Model):
    """One line of a water user's crop plan (种植计划) for a year: crop, irrigated area and method.

    ``zone`` picks the county whose norm applies when it is not the water user's own (a cooperative farming
    land across a county line); empty means the water user's county.
    """

    water_user = models.ForeignKey("water.WaterUser", on_delete=models.CASCADE, related_name="crop_plans",
                                   verbose_name=_("取水户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    crop = models.CharField(_("作物"), max_length=64)
    area_mu = models.FloatField(_("灌溉面积（亩）"))
    method = models.CharField(_("灌溉方式"), max_length=16, choices=IrrigationMethod.choices)
    zone = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("定额分区（县市）"), help_text=_("留空按取水户所在县市"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    REGION_SCOPE = "water_user__region"

    class Meta:
        verbose_name = _("种植计划")
        verbose_name_plural = _("种植计划")
        ordering = ["water_user", "-year", "crop", "method"]
        constraints = [
            models.UniqueConstraint(fields=["water_user", "year", "crop", "method"], name="crop_plan_line_unique"),
            models.CheckConstraint(condition=models.Q(area_mu__gt=0), name="crop_plan_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.crop} {self.area_mu:g} 亩 {self.get_method_display()}"
