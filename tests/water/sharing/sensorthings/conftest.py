"""A small registry with daily usage and groundwater readings, and a client of ``/sta/v1.1/``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

ROOT = "/sta/v1.1"
FIRST_DAY = date(2026, 4, 28)


@pytest.fixture
def sta_data(db: Any) -> dict[str, Any]:
    """Two extraction wells of Hutubi (one with six days of use), one monitoring well of Manas with readings.

    The water user of the first well has a name, a phone and a licence number: none of them may appear in the
    API. The monitoring well's readings: 20.0 and 21.0 m on 2026-05-01 (local), 22.0 m at 00:30 local on
    2026-05-02 (still 2026-05-01 in UTC).
    """
    from changji.water.models import DailyUsage, Frame, Reading, Terminal, WaterUser, Well

    user = WaterUser.objects.create(code="U-001", name="张三丰", kind="person", licence_number="取水(2026)第0042号",
                                    region_id="652323", contact_phone="13912345678")
    first = Well.objects.create(code="652323-00001", name="呼图壁县1号机井", kind="extraction", use="agricultural",
                                region_id="652323", latitude=44.19, longitude=86.89, water_user=user)
    second = Well.objects.create(code="652323-00002", name="呼图壁县2号机井", kind="extraction", use="industrial",
                                 region_id="652323", latitude=44.20, longitude=86.90, water_user=user)
    monitoring = Well.objects.create(code="652324-00001", name="玛纳斯县监测井1", kind="monitoring",
                                     region_id="652324", latitude=44.30, longitude=86.20)
    DailyUsage.objects.bulk_create([
        DailyUsage(well=first, day=FIRST_DAY + timedelta(days=i), usage_m3=10.0 + i, energy_kwh=20.0 + i,
                   water_m3=10.0 + i, source="metered" if i % 2 == 0 else "estimated") for i in range(6)
    ] + [DailyUsage(well=second, day=date(2026, 5, 1), usage_m3=5.0, energy_kwh=None, source="metered")])
    terminal = Terminal.objects.create(protocol="sl651", address="6523240001", well=monitoring, region_id="652324")
    frame = Frame.objects.create(received_at=datetime(2026, 5, 1, tzinfo=UTC), peer="t", protocol="sl651",
                                 raw=b"\x7e", outcome="stored")
    received = datetime(2026, 5, 2, tzinfo=UTC)
    Reading.objects.bulk_create([
        Reading(terminal=terminal, observed_at=datetime(2026, 5, 1, 0, tzinfo=UTC), received_at=received,
                depth_m=20.0, frame=frame),
        Reading(terminal=terminal, observed_at=datetime(2026, 5, 1, 8, tzinfo=UTC), received_at=received,
                depth_m=21.0, frame=frame),
        Reading(terminal=terminal, observed_at=datetime(2026, 5, 1, 16, 30, tzinfo=UTC), received_at=received,
                depth_m=22.0, frame=frame),
    ])
    return {"first": first, "second": second, "monitoring": monitoring, "user": user}


@pytest.fixture
def sta(client: Any, sta_data: dict[str, Any]) -> Any:
    """GET a path under the service root and return the response (JSON decoded on ``.data``)."""

    def get(path: str = "", status: int = 200, **params: str) -> Any:
        response = client.get(ROOT + "/" + path, params)
        assert response.status_code == status, (path, response.status_code, response.content[:500])
        response.data = response.json() if response["Content-Type"].startswith("application/json") else None
        return response

    return get
