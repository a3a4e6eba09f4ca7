"""When model saves write outbox entries on their own (signals), and when an applier writes them itself.

The registry, alarm and report streams are captured by ``post_save``/``post_delete`` receivers
(``water.sharing.receivers``), which run inside the transaction of the save: every page, import, API call and
admin action that changes those rows goes through a ``transaction.atomic()`` block (the services are atomic;
the admin wraps its views). An applier that writes many rows at once silences the receivers with :func:`quiet`
and records its rows in one statement instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

from changji.water.sharing import wire

_QUIET: ContextVar[bool] = ContextVar("water_sharing_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Within the block, saves write no outbox entries through the receivers."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def is_quiet() -> bool:
    """Whether the receivers are silenced (:func:`quiet`)."""
    return _QUIET.get()


def stamp() -> str:
    """The ``changed_at`` of a payload written now."""
    return wire.instant(timezone.now()) or ""
