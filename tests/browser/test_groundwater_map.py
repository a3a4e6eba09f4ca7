"""一图懂水 with real outlines: the prefecture's seven counties, 超采区 polygons and 5 km rings; picking a county zooms.

Also the monitoring-well page's chart (this year, last year, the baseline band and the red line) in chromium.
"""

from __future__ import annotations

import pytest

from tests.browser.polling import wait_for_expression

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ZONE = {"type": "MultiPolygon", "coordinates": [
    [[[86.85, 44.15], [86.95, 44.15], [86.95, 44.25], [86.85, 44.25], [86.85, 44.15]],
     [[86.89, 44.19], [86.91, 44.19], [86.91, 44.21], [86.89, 44.19]]],
    [[[87.0, 44.3], [87.05, 44.3], [87.05, 44.35], [87.0, 44.3]]]]}


@pytest.fixture
def groundwater_world(transactional_db):
    from changji.water.models import ControlLevel, OverdraftZone, Well

    monitoring = Well.objects.create(code="652323-M1", name="呼图壁监测井", kind="monitoring", region_id="652323",
                                     latitude=44.2, longitude=86.9)
    ControlLevel.objects.create(well=monitoring, control_depth_m=35.0)
    for n in range(3):
        Well.objects.create(code=f"652323-0000{n}", name=f"井{n}", region_id="652323", latitude=44.2 + 0.01 * n,
                            longitude=86.92)
    Well.objects.create(code="652325-00001", name="奇台井", region_id="652325", latitude=44.0, longitude=89.6)
    OverdraftZone.objects.create(name="呼图壁严重超采区", level="severe", region_id="652323", geometry=ZONE,
                                 document="示例", valid_from_year=2020)
    return monitoring


def _counts(page):
    return page.evaluate("""() => ({
      outlines: document.querySelectorAll('#well-map path.county-outline').length,
      zones: document.querySelectorAll('#well-map path.zone-outline').length,
      rings: Number(document.getElementById('well-map').dataset.ringsRendered),
      labels: Array.from(document.querySelectorAll('.county-label')).map(e => e.textContent),
    })""")


def test_outlines_layers_and_county_zoom(page, login, groundwater_world, shot):
    login(page, next_url="/water/")
    page.goto("/water/map/")
    page.wait_for_selector("#well-map[data-ready='1']")
    counts = _counts(page)
    assert counts["outlines"] == 7 and counts["zones"] == 1 and counts["rings"] == 1
    assert set(counts["labels"]) == {"昌吉市", "阜康市", "呼图壁县", "玛纳斯县", "奇台县", "吉木萨尔县",
                                     "木垒哈萨克自治县"}
    before = int(page.get_attribute("#well-map", "data-zoom"))
    page.select_option("select[name=county]", "652325")
    page.wait_for_selector("#well-map[data-zoomed-county='652325']")
    wait_for_expression(page, f"Number(document.getElementById('well-map').dataset.zoom) !== {before}")
    box = page.locator("#well-map").bounding_box()
    label = page.locator(".county-label", has_text="奇台县").bounding_box()
    assert box["x"] <= label["x"] + label["width"] / 2 <= box["x"] + box["width"]
    assert box["y"] <= label["y"] + label["height"] / 2 <= box["y"] + box["height"]
    shot(page, "water-map-county")
    page.uncheck("#layer-zones")
    page.uncheck("#layer-outlines")
    assert _counts(page)["zones"] == 0 and _counts(page)["outlines"] == 0
    page.check("#layer-zones")
    assert _counts(page)["zones"] == 1


def test_monitoring_well_chart_has_the_red_line_and_the_band(page, login, groundwater_world, shot):
    login(page, next_url="/water/")
    page.goto(f"/water/groundwater/wells/{groundwater_world.pk}/")
    page.wait_for_selector("#level-chart[data-series='5']")
    names = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('level-chart')).getOption()"
                          ".series.map(s => s.name)")
    assert "管控水位" in names and "往年同期基准带" in names
    assert "呼图壁监测井" in page.inner_text("h1") and page.locator("#nearby-wells tbody tr").count() == 3
    shot(page, "water-monitoring-well")
