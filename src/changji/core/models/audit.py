"""The audit log (操作日志): who did what to which object, when, and with what result."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One audited action. Rows are appended, never updated (evidence for enforcement).

    ``actor_name`` is kept beside the foreign key so an entry stays readable after the account is
    removed; system actions (quota sweeps, the gateway) have no actor and name themselves.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="audit_entries", verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("所属区划"),
    )
    reason = models.TextField(_("原因"), blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"
