"""State of the exchange at either end (four-level sharing, ``water.sharing``).

Batches sent and their delivery (downstream); streams received, refused rows, nonces and raw-reading requests
(upstream).

Everything a restart must survive is here, so either side resumes where it stopped: the downstream's
batches are fixed once formed (``OutboundBatch``: the entries carry its ``seq``) and re-sent unchanged; the
upstream's expected sequence number per peer and stream (``PeerStream``) decides whether a batch is new,
a re-send or beyond a gap.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundBatch(models.Model):
    """A numbered batch of one stream, formed once from outbox entries (``OutboxEntry.batch_seq``)."""

    stream = models.CharField(_("数据流"), max_length=32)
    seq = models.PositiveBigIntegerField(_("批次号"))
    first_entry_id = models.BigIntegerField(_("首条记录号"))
    last_entry_id = models.BigIntegerField(_("末条记录号"))
    rows = models.PositiveIntegerField(_("条数"))
    formed_at = models.DateTimeField(_("组批时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("上报批次")
        verbose_name_plural = _("上报批次")
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="outbound_batch_stream_seq")]

    def __str__(self) -> str:
        return f"{self.stream} #{self.seq}"


class StreamDelivery(models.Model):
    """The downstream's delivery state of one stream: the next batch to send and the retry back-off."""

    stream = models.CharField(_("数据流"), max_length=32, unique=True)
    next_seq = models.PositiveBigIntegerField(_("下一批次号"), default=1)
    formed_seq = models.PositiveBigIntegerField(_("已组批次号"), default=0)
    attempts = models.PositiveIntegerField(_("连续失败次数"), default=0)
    next_try_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("最近错误时间"), null=True, blank=True)
    last_delivered_at = models.DateTimeField(_("最近送达时间"), null=True, blank=True)
    rewinds = models.PositiveIntegerField(_("回退次数"), default=0)

    class Meta:
        verbose_name = _("上报状态")
        verbose_name_plural = _("上报状态")
        ordering = ["stream"]

    def __str__(self) -> str:
        return f"{self.stream} → #{self.next_seq}"


class PeerStream(models.Model):
    """The upstream's view of one downstream's stream: the next sequence number it expects, and health."""

    peer = models.ForeignKey("water.DownstreamPeer", on_delete=models.CASCADE, related_name="streams",
                             verbose_name=_("下级平台"))
    stream = models.CharField(_("数据流"), max_length=32)
    expected_seq = models.PositiveBigIntegerField(_("期望批次号"), default=1)
    rows_applied = models.PositiveBigIntegerField(_("已入库条数"), default=0)
    rows_refused = models.PositiveBigIntegerField(_("拒收条数"), default=0)
    duplicates = models.PositiveIntegerField(_("重复批次"), default=0)
    gaps = models.PositiveIntegerField(_("缺号次数"), default=0)
    last_gap_at = models.DateTimeField(_("最近缺号时间"), null=True, blank=True)
    last_batch_at = models.DateTimeField(_("最近入库时间"), null=True, blank=True)
    backlog = models.PositiveBigIntegerField(_("下级积压条数"), default=0)
    backlog_at = models.DateTimeField(_("积压上报时间"), null=True, blank=True)

    REGION_SCOPE = "peer__region"

    class Meta:
        verbose_name = _("下级数据流")
        verbose_name_plural = _("下级数据流")
        ordering = ["peer", "stream"]
        constraints = [models.UniqueConstraint(fields=["peer", "stream"], name="peer_stream_unique")]

    def __str__(self) -> str:
        return f"{self.peer_id} {self.stream} → #{self.expected_seq}"


class RefusedRow(models.Model):
    """A received row the upstream did not apply (outside the peer's subtree, or refused by its stream)."""

    peer = models.ForeignKey("water.DownstreamPeer", on_delete=models.CASCADE, related_name="refused_rows",
                             verbose_name=_("下级平台"))
    stream = models.CharField(_("数据流"), max_length=32)
    seq = models.PositiveBigIntegerField(_("批次号"))
    key = models.CharField(_("自然键"), max_length=128)
    region_code = models.CharField(_("行政区划代码"), max_length=15)
    reason = models.CharField(_("原因"), max_length=200)
    refused_at = models.DateTimeField(_("拒收时间"), auto_now_add=True)

    REGION_SCOPE = "peer__region"

    class Meta:
        verbose_name = _("拒收记录")
        verbose_name_plural = _("拒收记录")
        ordering = ["-refused_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stream} {self.key}: {self.reason}"


class ExchangeNonce(models.Model):
    """A nonce already used by a key within the replay window: a second request with it is refused."""

    key_id = models.CharField(_("凭据编号"), max_length=40)
    nonce = models.CharField(_("随机数"), max_length=64)
    seen_at = models.DateTimeField(_("使用时间"))

    class Meta:
        verbose_name = _("已用随机数")
        verbose_name_plural = _("已用随机数")
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="exchange_nonce_unique")]
        indexes = [models.Index(fields=["seen_at"], name="exchange_nonce_seen")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.nonce}"


class RawReadingRequest(models.Model):
    """The upstream's request (召测) for a well's raw readings over a period, served to the downstream."""

    peer = models.ForeignKey("water.DownstreamPeer", on_delete=models.CASCADE, related_name="reading_requests",
                             verbose_name=_("下级平台"))
    well_code = models.CharField(_("井编号"), max_length=32)
    since = models.DateField(_("起始日"))
    until = models.DateField(_("截止日"))
    requested_by = models.CharField(_("申请人"), max_length=150, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    served_at = models.DateTimeField(_("下级领取时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("下级完成时间"), null=True, blank=True)

    REGION_SCOPE = "peer__region"

    class Meta:
        verbose_name = _("原始数据召测")
        verbose_name_plural = _("原始数据召测")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.well_code} {self.since}–{self.until}"
