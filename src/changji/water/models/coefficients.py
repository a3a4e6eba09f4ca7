"""以电折水 coefficients: how much water a well lifts per kWh, with validity periods."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoefficientMethod(models.TextChoices):
    CALIBRATION = "calibration", _("现场率定")
    ESTIMATED = "estimated", _("自动估算")


class WellCoefficient(models.Model):
    """A well's water/electricity coefficient (折算系数, m³/kWh) valid from a day until replaced.

    A calibration (率定) records how it was measured (measured m³ and kWh); an automatic estimate
    records how many pumping sessions supported it. The coefficient in force on a day is the one
    with the latest ``valid_from`` not after it (and ``valid_to`` not before it).
    """

    well = models.ForeignKey("water.Well", on_delete=models.CASCADE, related_name="coefficients")
    m3_per_kwh = models.FloatField(_("折算系数（立方米/千瓦时）"))
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    method = models.CharField(_("方法"), max_length=16, choices=CoefficientMethod.choices)
    measured_m3 = models.FloatField(_("率定水量（立方米）"), null=True, blank=True)
    measured_kwh = models.FloatField(_("率定电量（千瓦时）"), null=True, blank=True)
    calibrated_on = models.DateField(_("率定日期"), null=True, blank=True)
    sessions_used = models.PositiveIntegerField(_("采用抽水时段数"), null=True, blank=True)
    spread = models.FloatField(_("离散度"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("以电折水系数")
        verbose_name_plural = _("以电折水系数")
        ordering = ["well", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.well_id} {self.m3_per_kwh:.3f} m³/kWh ({self.valid_from})"
