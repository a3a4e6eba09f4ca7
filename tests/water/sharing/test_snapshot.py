"""The first push after linking: the registry and daily usage recorded as they stand, in reference order."""

from __future__ import annotations

from datetime import date

import pytest

from changji.water.models import DailyUsage, OutboxEntry
from changji.water.sharing.snapshot import snapshot

pytestmark = pytest.mark.django_db


def test_snapshot_records_the_registry_in_reference_order_and_usage(county_registry):
    OutboxEntry.objects.all().delete()  # what the receivers captured while the fixture was saved
    DailyUsage.objects.create(well=county_registry.well, day=date(2026, 5, 1), water_m3=12.0, usage_m3=12.0)
    counts = snapshot()
    assert counts == {"registry": 6, "usage": 1}
    kinds = [key.split(":", 1)[0] for key in OutboxEntry.objects.filter(stream="registry").order_by("id")
             .values_list("key", flat=True)]
    assert kinds == ["user", "well", "terminal", "meter", "licence", "plan"]
    assert OutboxEntry.objects.get(stream="usage").key == "day:652323-00001|2026-05-01"
    assert snapshot(["registry"]) == {"registry": 6}
