"""Points (积分) for co-building units and party members: a rule table, a ledger, periods that freeze rankings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PointRule(models.Model):
    """One line of the points rule table (积分规则): what earns how many points."""

    code = models.SlugField(_("规则代码"), max_length=32, unique=True)
    name = models.CharField(_("规则"), max_length=128)
    points = models.IntegerField(_("分值"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.points:+d}）"


class PointPeriod(models.Model):
    """A ranking period (积分周期) of a community; closing it freezes its ranking (``PeriodRanking``)."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("周期"), max_length=64)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    closed_at = models.DateTimeField(_("结算时间"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("积分周期")
        verbose_name_plural = _("积分周期")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.name


class PointEntry(models.Model):
    """One ledger line: a unit or a member earned (or lost) points by a rule, for a reason, on a date.

    Append-only; a correction is a new entry with negated points. ``source`` names what earned it
    ("wish:17", "activity:4") so the same deed cannot be credited twice.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    unit = models.ForeignKey("community.CoBuildingUnit", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="point_entries")
    member = models.ForeignKey("community.PartyMember", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="point_entries")
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(_("积分"))
    earned_on = models.DateField(_("日期"))
    source = models.CharField(_("来源"), max_length=64)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        constraints = [
            models.CheckConstraint(condition=models.Q(unit__isnull=False) ^ models.Q(member__isnull=False),
                                   name="point_entry_one_holder"),
            models.UniqueConstraint(fields=["unit", "rule", "source"], condition=models.Q(unit__isnull=False),
                                    name="point_entry_unit_once"),
            models.UniqueConstraint(fields=["member", "rule", "source"], condition=models.Q(member__isnull=False),
                                    name="point_entry_member_once"),
        ]
        indexes = [models.Index(fields=["region", "earned_on"], name="point_entry_region_day")]


class PeriodRanking(models.Model):
    """The frozen ranking of a closed period: one row per holder, written once when the period closes."""

    period = models.ForeignKey(PointPeriod, on_delete=models.CASCADE, related_name="rankings")
    rank = models.PositiveIntegerField(_("名次"))
    holder_kind = models.CharField(_("类别"), max_length=8)  # "unit" or "member"
    holder_id = models.PositiveBigIntegerField()
    holder_name = models.CharField(_("名称"), max_length=128)
    points = models.IntegerField(_("积分"))

    class Meta:
        verbose_name = _("积分排名")
        verbose_name_plural = _("积分排名")
        ordering = ["period_id", "holder_kind", "rank"]
        constraints = [models.UniqueConstraint(fields=["period", "holder_kind", "holder_id"], name="ranking_once")]
