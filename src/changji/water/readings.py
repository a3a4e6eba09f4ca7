"""Stored readings as plain data: what ``changji readings`` prints and the API will serve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from changji.water.models import Reading, Terminal
from changji.water.protocols.reading import CANONICAL_FIELDS


class UnknownTerminalError(LookupError):
    """No registered terminal has this address."""


def terminal_readings(address: str, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Yield the readings of the terminal with ``address`` in observation order.

    ``observed_at`` is rendered in Asia/Shanghai (ISO 8601 with +08:00) as users read it.
    """
    terminals = list(Terminal.objects.filter(address=address.upper()))
    if not terminals:
        raise UnknownTerminalError(f"no registered terminal has address {address}")
    readings = Reading.objects.filter(terminal__in=terminals).order_by("observed_at")
    if since is not None:
        readings = readings.filter(observed_at__gte=since)
    for row in readings.values("observed_at", "future_dated", *CANONICAL_FIELDS).iterator(chunk_size=2000):
        row["observed_at"] = timezone.localtime(row["observed_at"]).isoformat()
        yield row
