"""Names from the database are never run as HTML, and the pages keep to the Content-Security-Policy.

A grid whose name is a piece of HTML with a script in it is drawn on the public report page and the grid map:
its tooltip shows the text as typed and nothing runs. The main pages of every app load under the platform's
Content-Security-Policy (scripts from the platform only, none inline) without a single violation.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

HOSTILE = '<img src=x onerror="window.__xss=1">第一网格'


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    return seen


def test_a_hostile_grid_name_is_shown_as_text(page, sign_in, community_world, shot):
    from changji.core.models import Region

    Region.objects.filter(pk=community_world.grid_a.region_id).update(name=HOSTILE)
    violations = _violations(page)
    for url, map_id, ready in (("/community/report/", "#issue-map", "[data-ready='1']"),
                               ("/community/grid_map/", "#grid-map", "[data-grids-rendered]")):
        if url.startswith("/community/grid_map"):
            sign_in(page, "street-officer", url)
        else:
            page.goto(url)
        page.wait_for_selector(map_id + ready)
        box = page.locator(map_id).bounding_box()
        # Grid A is the eastern square of the three; hover over each third until its tooltip shows.
        for share in (0.83, 0.5, 0.17):
            page.mouse.move(box["x"] + box["width"] * share, box["y"] + box["height"] / 2)
            page.wait_for_timeout(150)
            if page.locator(".leaflet-tooltip").count():
                break
        tooltips = page.locator(".leaflet-tooltip").all_inner_texts()
        shot(page, "hostile-name" + url.replace("/", "-"))
        assert any(HOSTILE in text for text in tooltips), (url, tooltips)
        assert page.locator(".leaflet-tooltip img").count() == 0
        assert page.evaluate("window.__xss") is None
    assert violations == []


def test_pages_load_under_the_content_security_policy(page, login):
    violations = _violations(page)
    login(page, next_url="/water/")
    for url, ready in (("/water/", "#trend-chart"), ("/water/map/", "#well-map"), ("/services/", "main"),
                       ("/community/", "main"), ("/api/docs", "#swagger-ui .info")):
        response = page.goto(url)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        page.wait_for_selector(ready)
    assert violations == []
