"""Budgets for anonymous attempts that are not logins, counted in the default cache.

After ``MAX_FAILURES`` failures for one key from one address within ``WINDOW``, that pair is refused until the
window has passed.

Used where a guess must not be cheap: an applicant's 6-digit query code (services track page) and the public
issue report form. ``count`` is the bare counter, with its own window, for a budget that is not about failures
(the hall's kiosk: so many queue numbers per address). Logins are counted by django-axes instead
(``core.sign_in``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.cache import cache

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _key(username: str, address: str) -> str:
    # Hashed: the username is whatever was typed (any length, any character), and a cache key must stay short
    # and printable (memcached refuses keys over 250 characters or with spaces and control characters).
    pair = f"{username.strip().lower()}\x1f{address}".encode()
    return f"login-failures:{hashlib.sha256(pair).hexdigest()}"


def locked(username: str, address: str) -> bool:
    return cache.get(_key(username, address), 0) >= MAX_FAILURES


def count(name: str, address: str, window: timedelta = WINDOW) -> int:
    """Count one attempt of ``name`` from ``address``; return the count in the window its first attempt opened."""
    key, timeout = _key(name, address), int(window.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def failed(username: str, address: str) -> int:
    """Count one failure; return the count in the current window."""
    return count(username, address)


def succeeded(username: str, address: str) -> None:
    cache.delete(_key(username, address))
