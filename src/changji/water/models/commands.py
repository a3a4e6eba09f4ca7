"""Downlink commands (远程控制): a persistent queue per terminal, every step audited."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommandKind(models.TextChoices):
    PUMP_STOP = "pump_stop", _("远程关泵")
    PUMP_START = "pump_start", _("远程开泵")
    #: Release the terminal's lock after a quota stop so the farmer may restart the pump on site (IC card or
    #: button); on the wire the same frame as QUOTA_CONTROL_OFF (SZY206 33H, SL651 4FH ``00``), see
    #: ``water.quotas.policy`` for why it is a kind of its own.
    PUMP_UNLOCK = "pump_unlock", _("解除闭锁（允许现场开泵）")
    QUOTA_CONTROL_ON = "quota_on", _("开启定额控制")
    QUOTA_CONTROL_OFF = "quota_off", _("关闭定额控制")
    SET_CLOCK = "set_clock", _("校时")
    QUERY_REALTIME = "query_realtime", _("召测实时数据")
    QUERY_PICTURE = "query_picture", _("召测图片")


class CommandState(models.TextChoices):
    QUEUED = "queued", _("待下发")
    SENT = "sent", _("已下发")
    CONFIRMED = "confirmed", _("已确认")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")
    CANCELLED = "cancelled", _("已撤销")


class Command(models.Model):
    """One command to one terminal; it ends confirmed, failed, expired or cancelled."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    terminal = models.ForeignKey("water.Terminal", on_delete=models.PROTECT, related_name="commands")
    kind = models.CharField(_("指令"), max_length=16, choices=CommandKind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=CommandState.choices, default=CommandState.QUEUED)
    reason = models.TextField(_("原因"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("下令人"),
    )
    requested_by_name = models.CharField(_("下令人名称"), max_length=150)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("下发次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多下发次数"), default=3)
    last_sent_at = models.DateTimeField(_("最近下发时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    answer = models.JSONField(_("终端应答"), null=True, blank=True)
    error = models.CharField(_("失败原因"), max_length=255, blank=True)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("远程指令")
        verbose_name_plural = _("远程指令")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "terminal"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.terminal.address} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in (CommandState.QUEUED, CommandState.SENT)
