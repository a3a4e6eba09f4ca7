"""Evidence of what the field sent: every received frame raw, pictures, and unknown terminals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.water.gateway.records import FrameOutcome


class Frame(models.Model):
    """One frame as received (原始报文), kept as evidence; readings point at it."""

    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    peer = models.CharField(_("来源地址"), max_length=64)
    protocol = models.CharField(_("规约"), max_length=8)
    address = models.CharField(_("终端地址"), max_length=10, blank=True, db_index=True)
    terminal = models.ForeignKey(
        "water.Terminal", on_delete=models.PROTECT, null=True, blank=True, related_name="frames",
        verbose_name=_("终端"), db_index=False,  # served by the (terminal, -received_at) index
    )
    function = models.CharField(_("功能码"), max_length=4, blank=True)
    observed_at = models.DateTimeField(_("观测时间"), null=True, blank=True)
    raw = models.BinaryField(_("原始字节"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=FrameOutcome.choices())
    error = models.CharField(_("错误说明"), max_length=255, blank=True)
    #: The JetStream sequence the frame was stored under (``changji gateway --via jetstream``), None on the
    #: direct path: a message redelivered after a writer crashed between commit and ack is recognised by it.
    stream_seq = models.BigIntegerField(_("消息流序号"), null=True, blank=True)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("原始报文")
        verbose_name_plural = _("原始报文")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["terminal", "-received_at"])]
        constraints = [
            # With received_at, because a partitioned table needs its partition key in every unique key.
            models.UniqueConstraint(fields=["stream_seq", "received_at"], name="water_frame_stream_seq_once"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} {self.address} {self.function} {self.received_at:%Y-%m-%d %H:%M:%S}"


class PictureTrigger(models.TextChoices):
    """Why a picture was taken: the answer to which picture query, or the terminal's own."""

    SCHEDULED = "scheduled", _("定时抓拍")
    ALARM = "alarm", _("告警抓拍")
    MANUAL = "manual", _("人工召测")
    TERMINAL = "terminal", _("终端自报")


class Snapshot(models.Model):
    """A camera picture of a well (现场照片) reassembled from multi-packet picture frames.

    ``trigger`` and ``command`` say why it was taken (``water.pictures``); review marks it flagged with a
    reason (表计遮挡, 管路改动 …) and reviewed, and links it as evidence to an alarm or a work order of its well.
    """

    terminal = models.ForeignKey("water.Terminal", on_delete=models.PROTECT, related_name="snapshots")
    observed_at = models.DateTimeField(_("拍摄时间"))
    received_at = models.DateTimeField(_("接收时间"))
    image = models.FileField(_("图片"), upload_to="snapshots/%Y/%m/")
    size_bytes = models.PositiveIntegerField(_("字节数"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    #: The alarm this picture is evidence of (e.g. taken when a tamper alarm was raised), if any.
    alarm = models.ForeignKey("water.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="pictures", verbose_name=_("关联告警"))
    #: The work order this picture is evidence of, if any.
    work_order = models.ForeignKey("water.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="pictures", verbose_name=_("关联工单"))
    trigger = models.CharField(_("抓拍原因"), max_length=16, choices=PictureTrigger.choices,
                               default=PictureTrigger.TERMINAL)
    #: The picture query this picture answers, if any.
    command = models.ForeignKey("water.Command", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="pictures", verbose_name=_("召测指令"))
    flagged = models.BooleanField(_("已标记异常"), default=False)
    flag_reason = models.CharField(_("异常原因"), max_length=200, blank=True)
    flagged_at = models.DateTimeField(_("标记时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("审阅人"))
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)

    REGION_SCOPE = "terminal__region"

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["-observed_at"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "observed_at", "sha256"], name="snapshot_unique")
        ]
        indexes = [models.Index(fields=["terminal", "-observed_at"], name="snapshot_terminal_latest")]

    def __str__(self) -> str:
        return f"{self.terminal.address} {self.observed_at:%Y-%m-%d %H:%M}"


class QuarantinedTerminal(models.Model):
    """A terminal that reported but is not registered (未登记终端): not acked, no readings.

    Its frames stay in ``Frame`` with ``outcome=quarantined``; an operator registers it in one step,
    after which its next report is acknowledged and stored.
    """

    protocol = models.CharField(_("规约"), max_length=8)
    address = models.CharField(_("终端地址"), max_length=10)
    first_seen_at = models.DateTimeField(_("首次出现"))
    last_seen_at = models.DateTimeField(_("最近出现"))
    last_peer = models.CharField(_("最近来源地址"), max_length=64)
    frame_count = models.PositiveIntegerField(_("报文数"), default=0)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, related_name="+",
                               verbose_name=_("所属区划"))

    #: core.scope: the county its address names (GB/T 2260, SZY206 address mode 1), else the root region, so a
    #: county operator sees and registers the unknown terminals of their county only.
    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("未登记终端")
        verbose_name_plural = _("未登记终端")
        ordering = ["-last_seen_at"]
        constraints = [models.UniqueConstraint(fields=["protocol", "address"], name="quarantine_unique_address")]

    def __str__(self) -> str:
        return f"{self.protocol} {self.address}"
