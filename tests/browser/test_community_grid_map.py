"""网格地图 in a real browser: a community worker sees their community's grids as Leaflet polygons with counts."""

from __future__ import annotations

import pytest

from tests.browser.polling import wait_for_expression

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def test_community_worker_sees_their_grids_on_the_map(sign_in, page, community_world, shot):
    from changji.community.models import ServicePoint

    w = community_world
    ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.8355)
    sign_in(page, w.users.east.username, "/community/grid_map/")
    page.wait_for_selector("#grid-map[data-grids-rendered]")
    assert page.get_attribute("#grid-map", "data-grids-rendered") == "2"
    polygons = page.locator("#grid-map path.leaflet-interactive")
    assert polygons.count() == 2  # 东城's grids A and B; 西城's C is outside the scope

    table = page.inner_text("#grid-table")
    assert "东城社区第一网格" in table and "东城社区第二网格" in table
    assert "西城社区第一网格" not in table
    row_a = page.locator("#grid-table tr[data-grid='652328100001001']")
    assert row_a.locator("td[data-metric=residents]").inner_text() == "2"
    assert row_a.locator("td[data-metric=compounds]").inner_text() == "1"
    assert "东城社区第一网格党支部" in row_a.inner_text()

    # Grid A holds the residents, so colouring by residents fills it and leaves B empty.
    fills = polygons.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
    assert sorted(fills) == sorted(["#b30000", "#eef2f7"])

    box = polygons.nth(0).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "东城社区" in popup.inner_text()
    assert "居民" in popup.inner_text()
    page.wait_for_timeout(500)  # let the map finish panning the popup into view
    shot(page, "community-grid-map")

    # Colour by open issues instead (none yet): the fills follow the choice.
    page.select_option("select[name=metric]", "open_issues")
    wait_for_expression(page, "document.getElementById('grid-map').dataset.metric === 'open_issues'")
    fills = polygons.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
    assert fills == ["#eef2f7", "#eef2f7"]

    # The coverage page draws the service point's circle and the one compound of 东城, 幸福小区, covered.
    page.click("a[href='/community/coverage/']")
    page.wait_for_selector("#coverage-map[data-compounds-rendered]")
    assert page.get_attribute("#coverage-map", "data-compounds-rendered") == "1"
    assert page.locator("#coverage-map path.covered").count() == 1
    assert "所有小区都在十分钟服务圈内" in page.inner_text("main")
    shot(page, "community-coverage")
