"""Readings: one row per terminal and observation time, the one source of every derived figure."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reading(models.Model):
    """A terminal's observation (监测数据) in platform units (docs/architecture.md, "Units in field names").

    Unique on (terminal, observed_at): retransmissions and back-fill are stored once, and the
    frames of one report that carry different parameter classes (SZY206 flow in one frame, energy
    in another, same time label) merge into this one row. ``frame`` is the last frame that
    contributed; every contributing frame carries the same terminal and observation time.
    """

    # No index of its own on either foreign key: the unique (terminal, observed_at) index serves the
    # terminal, and a frame's reading is found by its (terminal, observed_at) too. Every index costs
    # an insert per reading, at 35 readings/s for ever.
    terminal = models.ForeignKey(
        "water.Terminal", on_delete=models.PROTECT, related_name="readings", db_index=False
    )
    observed_at = models.DateTimeField(_("观测时间"))
    received_at = models.DateTimeField(_("接收时间"))
    flow_m3h = models.FloatField(_("瞬时流量（立方米/时）"), null=True, blank=True)
    volume_m3 = models.FloatField(_("累计水量（立方米）"), null=True, blank=True)
    energy_kwh = models.FloatField(_("累计电量（千瓦时）"), null=True, blank=True)
    level_m = models.FloatField(_("水位（米）"), null=True, blank=True)
    depth_m = models.FloatField(_("地下水埋深（米）"), null=True, blank=True)
    battery_v = models.FloatField(_("电源电压（伏）"), null=True, blank=True)
    pump_on = models.BooleanField(_("水泵运行"), null=True, blank=True)
    door_open = models.BooleanField(_("箱门打开"), null=True, blank=True)
    ac_power_lost = models.BooleanField(_("交流失电"), null=True, blank=True)
    future_dated = models.BooleanField(_("观测时间超前"), default=False)
    native = models.JSONField(_("规约原值"), default=dict, blank=True)
    #: No database constraint: on PostgreSQL frames are partitioned by month and their id alone is not unique
    #: to the database (water/0027). PROTECT is still Django's; frames leave only with their archived month.
    frame = models.ForeignKey(
        "water.Frame", on_delete=models.PROTECT, related_name="+", verbose_name=_("原始报文"), db_index=False,
        db_constraint=False,
    )

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")
        ordering = ["terminal", "-observed_at"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "observed_at"], name="reading_unique_observation")
        ]

    def __str__(self) -> str:
        return f"{self.terminal_id} {self.observed_at:%Y-%m-%d %H:%M}"
