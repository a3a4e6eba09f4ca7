"""API tokens for machine clients (数据共享接口): shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that acts as its user (same role, same region scope) until revoked.

    Only the digest is kept: a leaked database does not leak usable tokens. ``prefix`` (the first
    eight characters) lets an administrator tell tokens apart in the admin and the audit log.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=8)
    key_digest = models.CharField(_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最后使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    REGION_SCOPE = "user__region"

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """Create a token for ``user``; return it and the raw key, which is never stored."""
        raw = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, prefix=raw[:8], key_digest=digest(raw)), raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken | None:
        """Return the live token for ``raw`` (touching ``last_used_at`` at most once a minute), else None."""
        token = cls.objects.select_related("user", "user__region").filter(
            key_digest=digest(raw), revoked_at__isnull=True, user__is_active=True).first()
        if token is not None:
            now = timezone.now()
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
                cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token
