"""Signing in: the username a lockout is counted against, and the audit entry when one begins.

Failed logins are counted by django-axes (settings ``AXES_*``) on every path that authenticates: the platform's
login page and the admin's. Django reads a username through ``UsernameField``, which strips it and applies
Unicode NFKC normalisation before looking the account up (case as typed). Counting failures under the raw text
would give every look-alike spelling ("ｏpB" with a full-width letter, " opB " with spaces) a fresh budget for
the same account; ``lockout_username`` applies the same normalisation, so they share one.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest

from changji.core import audit

#: The longest username Django stores (``AbstractUser.username``); longer input cannot name an account.
USERNAME_MAX_LENGTH = 150


def normalise_username(value: Any) -> str:
    """Return ``value`` as Django authenticates it: stripped and NFKC-normalised (case unchanged)."""
    return unicodedata.normalize("NFKC", str(value or "").strip())[:USERNAME_MAX_LENGTH]


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """``AXES_USERNAME_CALLABLE``: the normalised username of a login attempt."""
    if credentials and "username" in credentials:
        return normalise_username(credentials["username"])
    data = getattr(request, "POST", {}) if request is not None else {}
    return normalise_username(data.get("username", ""))


@receiver(user_locked_out)
def record_lockout(sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any) -> None:
    """Audit the start of a lockout (``core.login.locked``): who was tried, from where."""
    audit.record("core.login.locked", reason="连续登录失败", username=username, address=ip_address)
