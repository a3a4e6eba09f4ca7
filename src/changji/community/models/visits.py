"""Visits (走访): who visited which household or compound, when, about what, and the follow-up; care households.

Secretaries and grid workers visit homes (书记爱串门, 入户走访). A household tagged for care (elderly living
alone, disabled, low-income …) is visited at least every ``visit_every_days`` days by its responsible worker;
``community.visits.care`` lists the ones overdue, per worker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitKind(models.TextChoices):
    HOME = "home", _("入户走访")
    SECRETARY = "secretary", _("书记爱串门")
    CARE = "care", _("关爱探访")
    COMPOUND = "compound", _("小区巡访")


class Visit(models.Model):
    """One visit to a household (or a whole compound), by a worker, about something, with its follow-up."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    household = models.ForeignKey("community.Household", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="visits", verbose_name=_("走访户"))
    compound = models.ForeignKey("community.Compound", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="visits", verbose_name=_("走访小区"))
    kind = models.CharField(_("类别"), max_length=16, choices=VisitKind.choices, default=VisitKind.HOME)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("走访人账号"))
    visitor_name = models.CharField(_("走访人"), max_length=64)
    visited_at = models.DateTimeField(_("走访时间"))
    topic = models.CharField(_("走访事由"), max_length=255)
    notes = models.TextField(_("情况记录"), blank=True)
    follow_up = models.CharField(_("后续跟进"), max_length=255, blank=True)
    follow_up_due_on = models.DateField(_("跟进期限"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("跟进完成"), null=True, blank=True)
    issue = models.ForeignKey("community.ResidentIssue", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("转为诉求"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-pk"]
        indexes = [models.Index(fields=["region", "visited_at"], name="visit_region_at"),
                   models.Index(fields=["household", "visited_at"], name="visit_household_at")]
        constraints = [models.CheckConstraint(
            condition=models.Q(household__isnull=False) | models.Q(compound__isnull=False), name="visit_has_place")]


class CareHousehold(models.Model):
    """A household tagged for care, visited at least every ``visit_every_days`` days by ``worker``."""

    household = models.OneToOneField("community.Household", on_delete=models.CASCADE, related_name="care",
                                     verbose_name=_("户"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    tags = models.JSONField(_("关爱类别"), default=list)
    visit_every_days = models.PositiveSmallIntegerField(_("走访周期（天）"), default=30)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("责任网格员"))
    since = models.DateField(_("纳入日期"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    active = models.BooleanField(_("关爱中"), default=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("关爱户")
        verbose_name_plural = _("关爱户")
        ordering = ["region_id", "household_id"]
