"""Delivery rules that need no database: backoff, the per-recipient rate limit, masking (pure: no Django).

* Backoff: a transient failure (network, HTTP 5xx, the provider's throttling) waits ``FIRST_BACKOFF`` after the
  first attempt and ``BACKOFF_FACTOR`` times longer after each further one, at most ``MAX_BACKOFF``; after
  ``MAX_ATTEMPTS`` attempts the notice is FAILED for an operator to look at.
* Rate limit: at most ``limit`` notices to one phone number (or e-mail address) in any sliding hour. The
  default of 5 SMS an hour is the platform's choice: a water user whose well crosses 80, 90 and 100 % and is
  stopped within an hour gets every one of those four texts, while a fault that repeats cannot flood a phone.
  It stays inside the provider's own flow control (Aliyun's default for notices is 50 a day per number and
  template, and it refuses more with ``isv.BUSINESS_LIMIT_CONTROL``), so the platform holds a notice back
  itself (RATE_LIMITED, retried when the hour has room) rather than having the provider refuse it.
* Masking: a phone number in a log or a list shows its first 3 and last 4 digits (138****5678), an e-mail
  address its first letter and its domain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from changji.core.log_redaction import mask_mobiles

__pure__ = True  # no Django: tests/test_architecture.py checks it

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(minutes=1)
BACKOFF_FACTOR = 4
MAX_BACKOFF = timedelta(hours=6)
RATE_WINDOW = timedelta(hours=1)
#: Default limits per recipient address and sliding hour (``CHANGJI_SMS_PER_HOUR``, ``CHANGJI_EMAIL_PER_HOUR``).
SMS_PER_HOUR = 5
EMAIL_PER_HOUR = 20

#: A mainland mobile number (GB/T 13497-style 11 digits starting with 1), optionally with +86.
MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1 → 1 min, 2 → 4 min, 3 → 16 min, … at most 6 h)."""
    factor: int = BACKOFF_FACTOR ** max(attempts - 1, 0)
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


def exhausted(attempts: int, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """True when no attempt is left after ``attempts``."""
    return attempts >= max_attempts


def rate_release(sent_times: Sequence[datetime], now: datetime, limit: int,
                 window: timedelta = RATE_WINDOW) -> datetime | None:
    """None when one more notice may go to a recipient who was sent ``sent_times``; else when it may.

    A sliding window: the notice may go once the oldest of the last ``limit`` sends in the window leaves it.
    """
    recent = sorted(t for t in sent_times if t > now - window)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def mask_phone(text: str) -> str:
    """``text`` with every mobile number masked: 13812345678 → 138****5678 (the logs' rule, ``core.log_redaction``)."""
    return mask_mobiles(text)


def mask_address(address: str) -> str:
    """A phone number or an e-mail address, masked for a log or a list."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    masked = mask_phone(address)
    return masked if masked != address else (address[:3] + "****" if len(address) > 3 else "****")


def normalise_phone(raw: str) -> str | None:
    """The 11-digit mobile number in ``raw`` (spaces, dashes and +86 removed), or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if not MOBILE.fullmatch(digits):
        return None
    return digits[-11:]
