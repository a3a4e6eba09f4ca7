"""Four-level data sharing (四级联通): the outbox of changes pushed upward and the peers at either end.

Each level (county → prefecture → region → nation) runs this same software with its own root region
(``CHANGJI_ROOT_REGION``). An instance writes an :class:`OutboxEntry` in the same transaction as the change it
describes; the delivery job sends them in per-stream numbered batches to its :class:`UpstreamLink`; the upstream
checks each batch against the :class:`DownstreamPeer` credential it issued and applies it idempotently by natural
keys (``water.sharing``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEntry(models.Model):
    """One change to push upward: a row of a stream, as it stood when it changed (a snapshot, not a diff).

    ``key`` is the row's natural key within its stream (a well code, ``terminal address|observed_at``…), so the
    upstream applies it by upsert and a re-sent entry changes nothing. ``region_code`` is the GB/T 2260 code
    the row belongs to: the upstream refuses rows outside the sender's subtree. Entries are kept after delivery
    for a retention period (a gap asked again is answered from them), then pruned.
    """

    id = models.BigAutoField(primary_key=True)
    stream = models.CharField(_("数据流"), max_length=32)
    key = models.CharField(_("自然键"), max_length=128)
    region_code = models.CharField(_("行政区划代码"), max_length=12)
    payload = models.JSONField(_("内容"))
    deleted = models.BooleanField(_("删除"), default=False)
    created_at = models.DateTimeField(_("写入时间"), auto_now_add=True)
    #: The numbered batch (``OutboundBatch.seq`` of this stream) the entry was put in; null until batched.
    batch_seq = models.PositiveBigIntegerField(_("批次号"), null=True, blank=True)

    class Meta:
        verbose_name = _("上报待发记录")
        verbose_name_plural = _("上报待发记录")
        indexes = [models.Index(fields=["stream", "id"], name="outbox_stream_id"),
                   models.Index(fields=["stream", "batch_seq", "id"], name="outbox_stream_batch")]

    def __str__(self) -> str:
        return f"{self.stream} {self.key}"


class DownstreamPeer(models.Model):
    """A lower-level instance (下级平台) allowed to push to this one: the credential this instance issued it.

    ``region`` is the root of the subtree the peer may report; every row outside it is refused. The secret is
    shown once when issued (or rotated) and signs every request (HMAC-SHA256); it never reaches a log.
    """

    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所辖区划"))
    key_id = models.CharField(_("凭据编号"), max_length=40, unique=True)
    secret = models.CharField(_("签名密钥"), max_length=128)
    active = models.BooleanField(_("启用"), default=True)
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    issued_by = models.CharField(_("签发人"), max_length=150, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近请求时间"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("下级平台")
        verbose_name_plural = _("下级平台")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.region_id}）"


class UpstreamLink(models.Model):
    """This instance's connection to the level above (上级平台): its exchange URL and the credential it issued.

    At most one is active. Entered by an administrator from the upstream's credential page.
    """

    name = models.CharField(_("名称"), max_length=100)
    base_url = models.URLField(_("交换接口地址"), help_text=_("上级平台的地址，如 https://xj.example.gov.cn/"))
    key_id = models.CharField(_("凭据编号"), max_length=40)
    secret = models.CharField(_("签名密钥"), max_length=128)
    active = models.BooleanField(_("启用"), default=True)
    batch_size = models.PositiveIntegerField(_("每批条数"), default=500)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("上级平台")
        verbose_name_plural = _("上级平台")

    def __str__(self) -> str:
        return self.name
