"""The switch of the open-data interface (开放数据接口): SensorThings at ``/sta/v1.1/``, on unless turned off."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OpenDataSetting(models.Model):
    """The one row saying whether the SensorThings API answers (``sharing.sensorthings.switch``).

    Public by default: the interface publishes daily aggregates of wells and no personal data. Only a user
    holding ``water.exchange.manage`` over the whole instance changes it, audited. The row is also the anchor
    the constant Sensors and ObservedProperties are filtered over (``sharing.sensorthings.sources``).
    """

    enabled = models.BooleanField(_("开放数据接口已开启"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("更新人"))

    class Meta:
        verbose_name = _("开放数据设置")
        verbose_name_plural = _("开放数据设置")

    def __str__(self) -> str:
        return "开放数据接口：" + ("开启" if self.enabled else "关闭")
