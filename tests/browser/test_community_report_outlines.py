"""The resident's report map in a real browser: the register's compounds drawn and named, 找到我的小区 zooms to one."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box, mapping

from tests.browser.polling import wait_for_expression

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def polygon(west: float, south: float, east: float, north: float) -> dict:
    return json.loads(json.dumps(mapping(box(west, south, east, north))))


def test_the_report_map_draws_the_compounds_and_finds_one_by_name(page, live_server, community_world, shot):
    from changji.community.grids.outline_register import import_outlines
    from changji.community.issues import categories

    categories.seed_categories()
    assert import_outlines({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": polygon(90.284, 43.834, 90.286, 43.836),
         "properties": {"compound": "幸福小区"}},
        {"type": "Feature", "geometry": polygon(90.2845, 43.8348, 90.2851, 43.835),
         "properties": {"compound": "幸福小区", "building": "1号楼"}},
        {"type": "Feature", "geometry": polygon(90.274, 43.834, 90.276, 43.836),
         "properties": {"compound": "和谐小区"}},
    ]}).ok

    page.goto(f"{live_server.url}/community/report/")
    page.wait_for_selector("#issue-map[data-outlines-rendered]")
    assert page.get_attribute("#issue-map", "data-outlines-rendered") == "2"
    assert page.locator("#issue-map canvas").count() == 1  # the outlines' canvas
    # The whole town is in view, too far out for names.
    assert page.get_attribute("#issue-map", "data-outline-labels") == "0"

    page.fill("#issue-map-find", "和谐")
    page.press("#issue-map-find", "Enter")
    wait_for_expression(page, "document.getElementById('issue-map').dataset.found === '和谐小区'")
    wait_for_expression(page, "Number(document.getElementById('issue-map').dataset.outlineLabels) > 0")
    labels = page.locator("#issue-map .leaflet-tooltip.outline-compound").all_inner_texts()
    assert "和谐小区" in labels and "幸福小区" not in labels  # zoomed in on 和谐小区, 0.01° away from 幸福小区
    assert page.locator("#public-report-form").count() == 1 and page.url.endswith("/community/report/")
    shot(page, "community-report-outlines")
