"""Targets flow down: served for a subtree, stored below as set from above (read-only), allocated further."""

from __future__ import annotations

import pytest

from changji.core.errors import Refusal
from changji.core.models import AuditEntry, Region
from changji.water.models import CountyWaterTarget
from changji.water.plans.service import save_county_target
from changji.water.sharing.targets import allocation, apply_received_targets, targets_for_region

pytestmark = pytest.mark.django_db


def test_targets_of_a_subtree_are_served_and_stored_below_as_from_above():
    save_county_target(Region.objects.get(code="652300"), 2027, 1_000_000, None, "自治区下达", "cli")
    save_county_target(Region.objects.get(code="652323"), 2027, 300_000, 200_000, "州分解", "cli")
    rows = targets_for_region("652300", 2027)
    assert [(r["region_code"], r["target_m3"]) for r in rows] == [("652300", 1_000_000), ("652323", 300_000)]
    CountyWaterTarget.objects.all().delete()  # as the instance below, which has none yet
    assert apply_received_targets(rows) == 2
    assert apply_received_targets(rows) == 0  # twice: nothing changes
    assert set(CountyWaterTarget.objects.values_list("region_id", "from_upstream")) == {("652300", True),
                                                                                        ("652323", True)}
    assert AuditEntry.objects.filter(action="water.target.receive").count() == 2
    with pytest.raises(Refusal, match="上级平台下达"):
        save_county_target(Region.objects.get(code="652323"), 2027, 1, None, "", "cli")


def test_children_may_not_exceed_their_parents_target():
    prefecture = Region.objects.get(code="652300")
    save_county_target(prefecture, 2027, 500_000, None, "", "cli")
    save_county_target(Region.objects.get(code="652323"), 2027, 300_000, None, "", "cli")
    with pytest.raises(Refusal, match="将超过上级"):
        save_county_target(Region.objects.get(code="652324"), 2027, 250_000, None, "", "cli")
    save_county_target(Region.objects.get(code="652324"), 2027, 200_000, None, "", "cli")
    shared = allocation(prefecture, 2027)
    assert (shared.children_m3, shared.children, shared.over, shared.remaining_m3) == (500_000, 2, False, 0)
