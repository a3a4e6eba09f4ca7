"""Groundwater control: the 管控水位 red line of each monitoring well and the 超采区 zones drawn as polygons.

``ControlLevel`` is the control depth (m below ground) of one monitoring well: a depth at or beyond it is a
decline alarm by itself (``groundwater.baseline``). ``OverdraftZone`` is a designated groundwater overdraft zone
(地下水超采区) with its outline (a GeoJSON Polygon or MultiPolygon, WGS-84 longitude/latitude); the wells inside
it are found by ``groundwater.geometry`` and counted in that zone by the tax figures and the reports.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changji.water.models.tax import OverdraftLevel


class ControlLevel(models.Model):
    """The 管控水位 (control depth, m below ground) of one monitoring well."""

    well = models.OneToOneField("water.Well", on_delete=models.CASCADE, related_name="control_level",
                                verbose_name=_("监测井"))
    control_depth_m = models.FloatField(_("管控水位埋深（米）"), validators=[MinValueValidator(0.0)])
    document = models.CharField(_("依据文件"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("更新人"))

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("管控水位")
        verbose_name_plural = _("管控水位")
        ordering = ["well"]
        constraints = [models.CheckConstraint(condition=Q(control_depth_m__gte=0), name="control_level_nonnegative")]

    def __str__(self) -> str:
        return f"{self.well_id} {self.control_depth_m:g} m"


class OverdraftZone(models.Model):
    """A 超采区 zone with its outline, valid for a span of years."""

    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("超采程度"), max_length=16, choices=OverdraftLevel.choices,
                             default=OverdraftLevel.GENERAL)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划"))
    geometry = models.JSONField(_("范围（GeoJSON）"))
    document = models.CharField(_("划定文件"), max_length=255)
    valid_from_year = models.PositiveSmallIntegerField(_("起始年度"))
    valid_to_year = models.PositiveSmallIntegerField(_("截止年度"), null=True, blank=True,
                                                     help_text=_("留空表示长期有效"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("超采区范围")
        verbose_name_plural = _("超采区范围")
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name", "valid_from_year"], name="overdraft_zone_key"),
            models.CheckConstraint(condition=Q(valid_to_year__isnull=True)
                                   | Q(valid_to_year__gte=models.F("valid_from_year")), name="overdraft_zone_span"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_level_display()}）"

    def valid_in(self, year: int) -> bool:
        return self.valid_from_year <= year and (self.valid_to_year is None or year <= self.valid_to_year)
