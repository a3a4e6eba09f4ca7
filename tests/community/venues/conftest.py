"""Fixtures of the venue tests: an office room and two service rooms of 东城社区."""

from __future__ import annotations

from decimal import Decimal

import pytest

from changji.community.models import Room, RoomKind


@pytest.fixture
def rooms(community_world):
    east = community_world.east
    return {
        "office": Room.objects.create(region=east, name="书记办公室", kind=RoomKind.OFFICE, area_m2=Decimal("30")),
        "art": Room.objects.create(region=east, name="书画室", kind=RoomKind.SERVICE, function="文化",
                                   area_m2=Decimal("60")),
        "dance": Room.objects.create(region=east, name="舞蹈室", kind=RoomKind.SERVICE, function="文体",
                                     area_m2=Decimal("90")),
    }
