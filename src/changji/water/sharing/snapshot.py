"""The first push of an instance newly linked to its upstream: the registry and daily usage as they stand.

Changes are captured as they happen (``receivers``, the derivation), but rows that existed before the link,
or were written in bulk without signals (a registry import, the demo fleet), are not in the outbox. An
operator runs ``changji exchange snapshot`` once after linking: every water user, well, terminal, meter,
licence and plan (in that order, so references resolve upstream) and every daily usage row are recorded as
they now stand. The upstream applies them by natural keys, so a snapshot taken twice changes nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from changji.water.models import AnnualPlan, DailyUsage, Licence, Meter, Terminal, WaterUser, Well
from changji.water.sharing import registry, usage
from changji.water.sharing.outbox import Change, record_many

CHUNK = 2000


def _registry() -> Iterator[Change | None]:
    yield from (registry.user_change(u) for u in WaterUser.objects.order_by("pk").iterator())
    yield from (registry.well_change(w) for w in Well.objects.order_by("pk").iterator())
    yield from (registry.terminal_change(t) for t in Terminal.objects.order_by("pk").iterator())
    yield from (registry.meter_change(m) for m in Meter.objects.order_by("pk").iterator())
    yield from (registry.licence_change(lic) for lic in Licence.objects.order_by("pk").iterator())
    yield from (registry.plan_change(p) for p in AnnualPlan.objects.order_by("pk").iterator())


def _usage() -> Iterator[Change]:
    wells = usage.well_keys(Well.objects.values_list("pk", flat=True))
    rows: list[Any] = []
    for row in DailyUsage.objects.order_by("well_id", "day").iterator(chunk_size=CHUNK):
        rows.append(row)
        if len(rows) >= CHUNK:
            yield from usage.day_changes(rows, wells)
            rows = []
    yield from usage.day_changes(rows, wells)


def _record(changes: Iterable[Change | None]) -> int:
    count, chunk = 0, []
    for change in changes:
        if change is not None:
            chunk.append(change)
        if len(chunk) >= CHUNK:
            count += record_many(chunk)
            chunk = []
    return count + record_many(chunk)


def snapshot(streams: Iterable[str] = ("registry", "usage")) -> dict[str, int]:
    """Record the current registry and/or daily usage in the outbox; return how many entries per stream."""
    makers = {"registry": _registry, "usage": _usage}
    return {name: _record(makers[name]()) for name in streams if name in makers}
