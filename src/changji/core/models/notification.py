"""The notification outbox (通知发件箱): one row per notice, per recipient and channel, and each account's channels.

A notice is written in the same transaction as the event that caused it (``core.audit.record`` calls
``core.notifications.outbox.notify``), so a rolled-back event leaves no notice; the job runner delivers it
after commit (``core.notifications.delivery``). The row is its own delivery record: state, attempts, the
next attempt, the last error, the provider's message id and when it was sent (and read, for the inbox).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class DeliveryState(models.TextChoices):
    """The delivery states; the allowed moves are ``core.notifications.states.TABLE``."""

    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    RETRYING = "retrying", _("等待重试")
    RATE_LIMITED = "rate_limited", _("限流延后")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One notice to one recipient on one channel, with its delivery status.

    The recipient is an account (``user``) or, for a water user who has none, a bare ``address`` (a phone
    number or an e-mail address). ``address`` is kept for SMS and e-mail so a changed phone number does not
    redirect a notice already written; it is masked wherever it is logged or listed.
    """

    event = models.CharField(_("事件"), max_length=64, db_index=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notifications", verbose_name=_("接收账号"))
    address = models.CharField(_("接收地址"), max_length=254, blank=True)
    recipient_name = models.CharField(_("接收人"), max_length=150, blank=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("所属区划"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    #: The variables of the provider's SMS template (Aliyun ``TemplateParam``), rendered with the body.
    sms_params = models.JSONField(_("短信模板参数"), default=dict, blank=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    source = models.ForeignKey("core.AuditEntry", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("来源日志"))
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    provider_message_id = models.CharField(_("服务商回执号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["user", "channel", "read_at"], name="notification_inbox"),
            models.Index(fields=["channel", "address", "sent_at"], name="notification_rate"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(user__isnull=False) | ~models.Q(address=""),
                                   name="notification_has_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.channel} {self.state}"


class NotificationPreference(models.Model):
    """The channels one account wants for one event (none stored: the event's defaults)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences", verbose_name=_("账号"))
    event = models.CharField(_("事件"), max_length=64)
    channels = models.JSONField(_("接收渠道"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    REGION_SCOPE = "user__region"

    class Meta:
        verbose_name = _("通知接收设置")
        verbose_name_plural = _("通知接收设置")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event} {self.channels}"
