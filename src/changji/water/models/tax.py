"""水资源税: the rate table (税额标准) and the designated groundwater overdraft areas (地下水超采区).

Since the reform pilot (《水资源税改革试点暂行办法》, 财税〔2016〕55号, extended to Xinjiang among nine provinces by
《扩大水资源税改革试点实施办法》, 财税〔2017〕80号, and nationwide by 《水资源税改革试点实施办法》, 财税〔2024〕28号)
the water-resource fee is a tax, levied per cubic metre taken at a rate that depends on the water source, the use
and whether the well lies in an overdraft area; use beyond the approved plan (超计划/超定额) is taxed at a multiple
of the rate, and agricultural use within the set limit (规定限额内的农业生产取用水) is exempt. The rates of a
province are set in its implementing measures (in Xinjiang: 《新疆维吾尔自治区水资源税改革试点实施办法》); here
they are a table the prefecture administrator keeps (``WaterTaxRate``), with the document each row comes from.
The computation is ``water.tax.rules``; the statement ``water.tax.statement``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changji.water.models.licences import WaterSource
from changji.water.models.registry import WellUse


class TaxZone(models.TextChoices):
    """Where a well lies as the tax sees it: outside, in an overdraft area, or in a severe one."""

    NORMAL = "normal", _("非超采区")
    OVERDRAFT = "overdraft", _("超采区")
    SEVERE = "severe", _("严重超采区")


class OverdraftLevel(models.TextChoices):
    GENERAL = "overdraft", _("一般超采区")
    SEVERE = "severe", _("严重超采区")


class WaterTaxRate(models.Model):
    """One rate of the table: water source × use × zone, valid for a span of years.

    ``rate_yuan_per_m3`` applies to use within the plan (or nothing when ``exempt_within_plan``);
    use over the plan pays ``rate × over_plan_multiplier``. The table applies to the whole instance
    (a province's measures set it), so it has no region.
    """

    source = models.CharField(_("水源类型"), max_length=16, choices=WaterSource.choices)
    use = models.CharField(_("用途"), max_length=16, choices=WellUse.choices)
    zone = models.CharField(_("区域"), max_length=16, choices=TaxZone.choices, default=TaxZone.NORMAL)
    rate_yuan_per_m3 = models.DecimalField(_("税额（元/立方米）"), max_digits=8, decimal_places=3,
                                           validators=[MinValueValidator(Decimal(0))])
    over_plan_multiplier = models.DecimalField(_("超计划加征倍数"), max_digits=4, decimal_places=2, default=Decimal(2),
                                               validators=[MinValueValidator(Decimal(1))])
    exempt_within_plan = models.BooleanField(_("限额内免征"), default=False,
                                             help_text=_("规定限额内的农业生产取用水免征水资源税"))
    valid_from_year = models.PositiveSmallIntegerField(_("起始年度"))
    valid_to_year = models.PositiveSmallIntegerField(_("截止年度"), null=True, blank=True,
                                                     help_text=_("留空表示长期有效"))
    document = models.CharField(_("依据文件"), max_length=255)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("水资源税税额标准")
        verbose_name_plural = _("水资源税税额标准")
        ordering = ["source", "use", "zone", "-valid_from_year"]
        constraints = [
            models.UniqueConstraint(fields=["source", "use", "zone", "valid_from_year"], name="water_tax_rate_key"),
            models.CheckConstraint(condition=Q(valid_to_year__isnull=True)
                                   | Q(valid_to_year__gte=models.F("valid_from_year")), name="water_tax_rate_span"),
            models.CheckConstraint(condition=Q(rate_yuan_per_m3__gte=0), name="water_tax_rate_nonnegative"),
            models.CheckConstraint(condition=Q(over_plan_multiplier__gte=1), name="water_tax_multiplier_at_least_1"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_source_display()} {self.get_use_display()} {self.get_zone_display()} "
                f"{self.rate_yuan_per_m3} 元/m³ ({self.valid_from_year}–{self.valid_to_year or ''})")


class OverdraftArea(models.Model):
    """A county or township designated as groundwater overdraft area (地下水超采区), general or severe.

    A well is in the area when its region lies within ``region`` on a day between ``designated_on`` and
    ``lifted_on`` (exclusive; blank while the designation stands).
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    level = models.CharField(_("超采程度"), max_length=16, choices=OverdraftLevel.choices,
                             default=OverdraftLevel.GENERAL)
    designated_on = models.DateField(_("划定日期"))
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True)
    document = models.CharField(_("划定文件"), max_length=255)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("地下水超采区")
        verbose_name_plural = _("地下水超采区")
        ordering = ["region", "-designated_on"]
        constraints = [
            models.CheckConstraint(condition=Q(lifted_on__isnull=True) | Q(lifted_on__gt=models.F("designated_on")),
                                   name="overdraft_area_span"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_level_display()} {self.designated_on}"
