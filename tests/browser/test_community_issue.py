"""接诉即办 in a real browser: an issue reported on the grid map and escalated by the community.

A grid worker reports an issue by clicking its place on the grid map and finds it in the list with a green
light; the community worker escalates it and the page shows the new level.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def test_grid_worker_reports_and_community_worker_escalates(sign_in, contexts, community_world, shot):
    from changji.community.issues import categories
    from changji.community.models import ResidentIssue

    categories.seed_categories()
    grid_page, east_page = contexts(), contexts()

    sign_in(grid_page, "grid-a", "/community/issues/new/")
    grid_page.wait_for_selector("#issue-map[data-ready='1']")
    grid_page.select_option("select[name=category]", label="物业服务")
    grid_page.fill("textarea[name=description]", "幸福小区1号楼电梯停运三天，老人上下楼困难")
    grid_page.click("#issue-map")  # the map shows grid A only: its middle lies inside the grid
    grid_page.wait_for_selector("#issue-map[data-picked='1']")
    lon, lat = float(grid_page.input_value("#id_lon")), float(grid_page.input_value("#id_lat"))
    assert 90.28 < lon < 90.29 and 43.83 < lat < 43.84
    grid_page.fill("input[name=reporter_name]", "张三")
    grid_page.fill("input[name=reporter_phone]", "13912345678")
    shot(grid_page, "community-issue-report")
    grid_page.click("#issue-form button[type=submit]")
    grid_page.wait_for_selector("#issue-state")
    assert grid_page.inner_text("#issue-state") == "待响应"
    issue = ResidentIssue.objects.get()
    assert issue.region_id == community_world.grid_a.region_id and issue.channel == "grid_worker"

    grid_page.goto("/community/issues/")
    row = grid_page.locator(f"tr[data-request-id='{issue.request_id}']")
    assert row.locator(".light-green").count() == 1
    assert "13912345678" not in grid_page.content()
    shot(grid_page, "community-issue-list")

    sign_in(east_page, "east-worker", f"/community/issues/{issue.pk}/")
    assert east_page.inner_text("#issue-level") == "网格"
    east_page.fill("#form-escalate textarea[name=escalate-reason]", "涉及物业公司，需社区协调")
    east_page.click("#form-escalate button[type=submit]")
    east_page.wait_for_selector("#issue-level:has-text('社区')")
    assert "东城社区（社区）" in east_page.inner_text("#issue-handler")
    assert "上报：网格 → 社区" in east_page.inner_text("#issue-history")
    shot(east_page, "community-issue-escalated")
    issue.refresh_from_db()
    assert issue.level == "community"
