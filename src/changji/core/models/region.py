"""Administrative regions (行政区划) per GB/T 2260, from the nation down to the village, and the grids below it.

A grid (网格) of the community app is the one node below a village/community: its code is the
community's 12 digits and a 3-digit grid number, so a grid worker's account is scoped by the same
prefix match as every other account (core.scope), with no second mechanism.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    """Depth in the region tree; a lower number is a higher level of government."""

    NATION = 0, _("国家")
    REGION = 1, _("省/自治区")
    PREFECTURE = 2, _("地州市")
    COUNTY = 3, _("县市区")
    TOWNSHIP = 4, _("乡镇街道")
    VILLAGE = 5, _("村/社区")
    GRID = 6, _("网格")


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, region: Region) -> RegionQuerySet:
        """Return ``region`` and every region below it."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    """One node of the GB/T 2260 tree (行政区划).

    The code is the natural key: 6 digits down to the county, 9 for a township, 12 for a village,
    so data pushed between levels (docs/architecture.md, "One instance per level") needs no surrogate ids; a
    grid (网格) below a community adds 3 digits (15 in all). ``path`` is the
    materialised chain of codes from the root ("000000/650000/652300/652301/"), which makes
    "everything within this region" one indexed prefix match; core.scope builds on it.
    """

    code = models.CharField(_("区划代码"), max_length=15, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("上级区划"),
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)

    objects = RegionQuerySet.as_manager()

    #: core.scope: a region is its own scope key.
    REGION_SCOPE = ""

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = (self.parent.path if self.parent else "") + f"{self.code}/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def contains(self, other: Region) -> bool:
        """Return True when ``other`` is this region or lies below it."""
        return other.path.startswith(self.path)

    def ancestors(self) -> list[str]:
        """Return the codes from the root down to this region, inclusive."""
        return [code for code in self.path.split("/") if code]
