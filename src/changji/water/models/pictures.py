"""Picture policies (定时抓拍策略): when the terminals of a region take pictures, daily and on alarms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PicturePolicy(models.Model):
    """The picture policy of a region: daily times (Asia/Shanghai) and the alarm kinds that take a picture.

    Keyed by region: the prefecture's is the default, a county's own replaces it for that county (the
    nearest region wins, ``water.pictures.service.policy_for``); a disabled policy takes no pictures in its
    region. ``last_slot_at`` is the last daily time whose picture queries were queued (the schedule job).
    """

    region = models.OneToOneField("core.Region", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("区划"))
    enabled = models.BooleanField(_("启用"), default=True)
    times = models.JSONField(_("每日抓拍时间"), default=list, help_text=_('北京时间，如 ["10:00", "16:00"]'))
    alarm_kinds = models.JSONField(_("告警抓拍类型"), default=list, help_text=_("产生这些类型的告警时抓拍一张"))
    last_slot_at = models.DateTimeField(_("最近一次定时抓拍"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("修改人"))
    updated_by_name = models.CharField(_("修改人名称"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("抓拍策略")
        verbose_name_plural = _("抓拍策略")
        ordering = ["region"]

    def __str__(self) -> str:
        return f"{self.region_id} {self.times} {self.alarm_kinds}{'' if self.enabled else ' (off)'}"
