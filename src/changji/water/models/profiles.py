"""Protocol profiles (统一数据传输协议的设备差异) and device batches; suggestions to switch a terminal's profile.

A ``ProtocolProfile`` is a named set of codec options (``profiles.options``); every change bumps its
``version`` and keeps the version it replaces as a ``ProtocolProfileVersion`` row, so what decoded a frame at
a time stays known. A ``DeviceBatch`` (manufacturer, model, firmware, delivery year) has one profile; a
terminal belongs to a batch and may carry a per-terminal override, set only by a confirmed switch
(``ProfileSuggestion``). The effective profile is the override, else the batch's, else the deployment default.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkMode(models.TextChoices):
    ONLINE = "online", _("永久在线")
    DIAL_IN = "dial_in", _("定时上线（拨号）")
    SMS = "sms", _("短信唤醒")


class ProtocolProfile(models.Model):
    """A named, versioned set of codec options for one protocol family."""

    class Protocol(models.TextChoices):
        SZY206 = "szy206", "SZY206-2016 / SL/T 427-2021"
        SL651 = "sl651", "SL651-2014"

    name = models.CharField(_("名称"), max_length=64, unique=True)
    protocol = models.CharField(_("规约"), max_length=8, choices=Protocol.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    options = models.JSONField(_("编解码参数"), default=dict)
    link_mode = models.CharField(_("链路方式"), max_length=16, choices=LinkMode.choices, default=LinkMode.ONLINE)
    report_interval_s = models.PositiveIntegerField(_("上报间隔（秒）"), default=300)
    description = models.TextField(_("说明"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("规约配置")
        verbose_name_plural = _("规约配置")
        ordering = ["protocol", "name"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ProtocolProfileVersion(models.Model):
    """A version of a profile as it was (the current one too): what decoded the frames of its time."""

    profile = models.ForeignKey(ProtocolProfile, on_delete=models.CASCADE, related_name="versions",
                                verbose_name=_("规约配置"))
    version = models.PositiveIntegerField(_("版本"))
    options = models.JSONField(_("编解码参数"), default=dict)
    link_mode = models.CharField(_("链路方式"), max_length=16, choices=LinkMode.choices)
    report_interval_s = models.PositiveIntegerField(_("上报间隔（秒）"))
    description = models.TextField(_("说明"), blank=True)
    valid_from = models.DateTimeField(_("生效时间"))
    saved_by = models.CharField(_("修改人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("规约配置版本")
        verbose_name_plural = _("规约配置版本")
        ordering = ["profile", "-version"]
        constraints = [models.UniqueConstraint(fields=["profile", "version"], name="profile_version_unique")]

    def __str__(self) -> str:
        return f"{self.profile.name} v{self.version}"


class DeviceBatch(models.Model):
    """A delivery of terminals of one make, model and firmware (设备批次) and the profile they speak."""

    name = models.CharField(_("批次编号"), max_length=64, unique=True)
    manufacturer = models.CharField(_("厂家"), max_length=64, blank=True)
    model = models.CharField(_("型号"), max_length=64, blank=True)
    firmware = models.CharField(_("固件版本"), max_length=32, blank=True)
    delivery_year = models.PositiveIntegerField(_("交付年度"), null=True, blank=True)
    profile = models.ForeignKey(ProtocolProfile, on_delete=models.PROTECT, related_name="batches",
                                verbose_name=_("规约配置"))
    planned_count = models.PositiveIntegerField(_("合同台数"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("设备批次")
        verbose_name_plural = _("设备批次")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SuggestionState(models.TextChoices):
    OPEN = "open", _("待确认")
    CONFIRMED = "confirmed", _("已切换")
    DISMISSED = "dismissed", _("已忽略")


class ProfileSuggestion(models.Model):
    """A terminal whose frames fit another profile better than its own (规约不符), with the evidence."""

    terminal = models.ForeignKey("water.Terminal", on_delete=models.CASCADE, related_name="profile_suggestions",
                                 verbose_name=_("终端"))
    current_profile = models.ForeignKey(ProtocolProfile, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("当前规约配置"))
    suggested_profile = models.ForeignKey(ProtocolProfile, on_delete=models.CASCADE, related_name="+",
                                          verbose_name=_("建议规约配置"))
    current_score = models.FloatField(_("当前得分"))
    score = models.FloatField(_("建议得分"))
    evidence = models.JSONField(_("依据"), default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=SuggestionState.choices, default=SuggestionState.OPEN)
    created_at = models.DateTimeField(_("发现时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.CharField(_("处理人"), max_length=150, blank=True)
    readings_redecoded = models.PositiveIntegerField(_("重解析读数"), default=0)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("规约不符建议")
        verbose_name_plural = _("规约不符建议")
        ordering = ["state", "-created_at"]

    def __str__(self) -> str:
        return f"{self.terminal} → {self.suggested_profile.name}"
