"""Grids (网格): the unified map of a street/town, the departmental grids it replaced, compounds and buildings.

The hierarchy is street/town (township region) → community (village region) → grid → compound
(小区) → building (楼栋). A grid *is* a node of the core region tree (level 网格, a 15-character
code), so a grid worker's account is scoped by core.scope like any other account; ``Grid`` holds
what only a grid has: its polygon and leader; its party organisations (``GridPartyOrganisation``, which
cover one or more grids) are in ``models.organisations``.

Geometry is GeoJSON (WGS 84 longitude/latitude) in a JSON column, with a bounding box in plain
columns so that "which grid holds this point" is one indexed prefilter before the exact test in
``community.grids.geo``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grid(models.Model):
    """A unified grid (网格): one polygon, one leader, its grid workers; ``party_organisations`` cover it."""

    region = models.OneToOneField("core.Region", on_delete=models.PROTECT, primary_key=True,
                                  related_name="grid", verbose_name=_("网格区划"))
    boundary = models.JSONField(_("边界（GeoJSON）"))
    min_lon = models.FloatField(_("最小经度"))
    min_lat = models.FloatField(_("最小纬度"))
    max_lon = models.FloatField(_("最大经度"))
    max_lat = models.FloatField(_("最大纬度"))
    area_m2 = models.FloatField(_("面积（平方米）"), default=0)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("网格长"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["region_id"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="grid_bbox")]

    def __str__(self) -> str:
        return self.region.name


class DepartmentalGrid(models.Model):
    """A grid drawn by one department (综治, 城管, 民政, 公安…) before consolidation, mapped to a unified grid.

    Kept after the merge so that every old grid can be traced to the unified grid that replaced it
    (old → new); ``overlap_share`` is the share of the old grid's area that lies in that grid.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所属街道（乡镇）"))
    department = models.CharField(_("部门"), max_length=64)
    source_id = models.CharField(_("原网格编号"), max_length=64)
    name = models.CharField(_("原网格名称"), max_length=128)
    boundary = models.JSONField(_("边界（GeoJSON）"))
    unified_grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="departmental_grids", verbose_name=_("并入网格"))
    overlap_share = models.FloatField(_("并入比例"), null=True, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("部门网格")
        verbose_name_plural = _("部门网格")
        constraints = [models.UniqueConstraint(fields=["department", "source_id"], name="departmental_grid_source")]

    def __str__(self) -> str:
        return f"{self.department}·{self.name}"


class PropertyCompany(models.Model):
    """A property management company (物业服务企业) serving compounds of one or more communities."""

    name = models.CharField(_("名称"), max_length=128, unique=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("物业企业")
        verbose_name_plural = _("物业企业")

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """A residential compound (小区), located by a point (and drawn by its outline); its grid is found by the point."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在网格（或社区）"))
    name = models.CharField(_("小区名称"), max_length=128)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    property_company = models.ForeignKey(PropertyCompany, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="compounds", verbose_name=_("物业企业"))
    owners_committee = models.CharField(_("业主委员会"), max_length=128, blank=True)
    party_branch = models.CharField(_("小区党支部"), max_length=128, blank=True)
    outline = models.JSONField(_("轮廓（GeoJSON）"), null=True, blank=True,
                               help_text=_("小区院墙的多边形（WGS 84），地图据此画出小区并标注名称"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) of a compound, located by a point; residents and households hang off it."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="buildings",
                                 verbose_name=_("小区"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在网格（或社区）"))
    name = models.CharField(_("楼栋"), max_length=64)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    outline = models.JSONField(_("轮廓（GeoJSON）"), null=True, blank=True,
                               help_text=_("楼栋的多边形（WGS 84），地图据此画出楼栋并标注楼号"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["compound_id", "name"]

    def __str__(self) -> str:
        return f"{self.compound.name}{self.name}"
