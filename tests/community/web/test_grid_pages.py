"""The grid map, the 10-minute service circle and the consolidation pages, scoped by core.scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from shapely.geometry import box, mapping

from changji.community.grids.service import consolidate_into, import_departmental_grids
from changji.community.models import IssueCategory, MicroWish, ResidentIssue, ServicePoint
from changji.core.models import Role

pytestmark = pytest.mark.django_db

A, B, C = "652328100001001", "652328100001002", "652328100002001"
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def client_for(client, user):
    client.force_login(user)
    return client


def grid_codes(client) -> list[str]:
    response = client.get(reverse("community:grid_map_data"))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    return [feature["properties"]["code"] for feature in data["features"]]


@pytest.fixture
def busy_world(community_world):
    """The community world with two open issues and a closed one in A, one reopened in C, and two wishes in A."""
    w = community_world
    category = IssueCategory.objects.create(code="lights", name="路灯", responsible="grid")
    for n, (state, region) in enumerate([("reported", w.grid_a.region), ("accepted", w.grid_a.region),
                                         ("closed", w.grid_a.region), ("reopened", w.grid_c.region)]):
        ResidentIssue.objects.create(
            request_id=f"T{n}", category=category, region=region, description="路灯不亮", channel="web",
            state=state, reported_at=NOW, response_due_at=NOW + timedelta(hours=24), level_started_at=NOW,
            due_at=NOW + timedelta(days=7))
    MicroWish.objects.create(region=w.grid_a.region, resident=w.zhang, title="一副老花镜", state="published",
                             posted_at=NOW)
    MicroWish.objects.create(region=w.grid_a.region, resident=w.li, title="理发", state="posted", posted_at=NOW)
    return w


# --- the grid map ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "codes"), [
    ("grid_a", [A]), ("grid_c", [C]), ("east", [A, B]), ("street", [A, B, C]),
])
def test_grid_map_data_is_scoped(client, community_world, user, codes):
    client_for(client, getattr(community_world.users, user))
    assert grid_codes(client) == codes
    page = client.get(reverse("community:grid_map"))
    assert page.status_code == 200
    rows = [row["code"] for row in page.context["rows"]]
    assert rows == codes
    html = page.content.decode()
    for code, name in ((A, "东城社区第一网格"), (B, "东城社区第二网格"), (C, "西城社区第一网格")):
        assert (f'data-grid="{code}"' in html) == (code in codes)
        assert (name in html) == (code in codes)


def test_grid_map_counts_per_grid(client, busy_world):
    client_for(client, busy_world.users.street)
    data = client.get(reverse("community:grid_map_data")).json()
    counts = {f["properties"]["code"]: f["properties"]["counts"] for f in data["features"]}
    assert counts[A] == {"residents": 2, "compounds": 1, "open_issues": 2, "published_wishes": 1}
    assert counts[B] == {"residents": 0, "compounds": 0, "open_issues": 0, "published_wishes": 0}
    assert counts[C] == {"residents": 0, "compounds": 1, "open_issues": 1, "published_wishes": 0}
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["party_organisations"] == ["东城社区第一网格党支部"]
    assert feature["properties"]["community"] == "东城社区"
    assert [m[0] for m in data["metrics"]] == ["residents", "compounds", "open_issues", "published_wishes"]
    page = client.get(reverse("community:grid_map"))
    assert dict(page.context["totals"]) == {"residents": 2, "compounds": 2, "open_issues": 3, "published_wishes": 1}


def test_grid_map_counts_use_grouped_queries(client, busy_world, django_assert_max_num_queries):
    """One query per measure, not per grid: outlines two (compounds, buildings), party organisations one."""
    client_for(client, busy_world.users.street)
    client.get(reverse("community:grid_map_data"))
    with django_assert_max_num_queries(11):
        client.get(reverse("community:grid_map_data"))


def test_grid_map_shows_the_leader(client, community_world):
    w = community_world
    w.grid_a.leader = w.users.grid_a
    w.users.grid_a.first_name = "网格长王"
    w.users.grid_a.save()
    w.grid_a.save()
    client_for(client, w.users.east)
    html = client.get(reverse("community:grid_map")).content.decode()
    assert "网格长王" in html


@pytest.mark.parametrize("name", ["grid_map", "grid_map_data", "coverage", "coverage_data", "consolidation"])
def test_anonymous_users_are_sent_to_login(client, community_world, name):
    response = client.get(reverse(f"community:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_of_another_county_sees_no_grid(client, community_world, make_user):
    client_for(client, make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR))
    assert grid_codes(client) == []
    page = client.get(reverse("community:grid_map"))
    assert page.context["rows"] == []
    assert "您的管辖范围内没有网格" in page.content.decode()
    data = client.get(reverse("community:coverage_data")).json()
    assert data["compounds"] == [] and data["service_points"] == [] and data["grids"] == []
    page = client.get(reverse("community:consolidation"))
    assert page.context["region"] is None
    assert "您的管辖范围内没有网格" in page.content.decode()


def test_a_user_without_a_community_role_is_forbidden(client, community_world, make_user):
    client_for(client, make_user("clerk", "652328", Role.WINDOW_CLERK))
    assert client.get(reverse("community:grid_map")).status_code == 403
    assert client.get(reverse("community:grid_map_data")).status_code == 403


# --- the 10-minute service circle --------------------------------------------------------------------------


def test_coverage_lists_the_compound_beyond_the_circle(client, community_world):
    """The only service point stands by 幸福小区: 和谐小区, about 880 m away, is uncovered."""
    w = community_world
    ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.8355)
    client_for(client, w.users.street)
    page = client.get(reverse("community:coverage"))
    assert page.status_code == 200
    [row] = page.context["uncovered"]
    assert row.compound == w.harmony
    assert row.nearest.name == "东城党群连心点"
    assert 850 < row.distance_m < 900
    html = page.content.decode()
    assert 'id="uncovered-table"' in html and "和谐小区" in html
    assert page.context["radius_m"] == 800
    data = client.get(reverse("community:coverage_data")).json()
    assert data["radius_m"] == 800
    assert data["service_points"] == [["东城党群连心点", 90.286, 43.8355, ""]]
    compounds = {c[0]: c for c in data["compounds"]}
    assert compounds["幸福小区"][1:5] == [90.285, 43.835, 1, 0]
    *_, covered, nearest, distance, region = compounds["和谐小区"]
    assert (covered, nearest, data["regions"][region]) == (0, 0, "西城社区第一网格")
    assert distance == round(row.distance_m)
    assert len(data["grids"]) == 3


def test_coverage_follows_the_setting(client, community_world, settings):
    w = community_world
    settings.COMMUNITY_SERVICE_CIRCLE_M = 1000
    ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.8355)
    client_for(client, w.users.street)
    page = client.get(reverse("community:coverage"))
    assert page.context["uncovered"] == []
    assert "所有小区都在十分钟服务圈内" in page.content.decode()


def test_coverage_is_scoped(client, community_world):
    """A grid worker sees the compounds of their grid and the service points of their community."""
    w = community_world
    ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.8355)
    ServicePoint.objects.create(region=w.west, name="西城党群连心点", lon=90.2755, lat=43.835)
    client_for(client, w.users.grid_a)
    data = client.get(reverse("community:coverage_data")).json()
    assert [c[0] for c in data["compounds"]] == ["幸福小区"]
    assert [p[0] for p in data["service_points"]] == ["东城党群连心点"]
    assert [g["code"] for g in data["grids"]] == [A]
    client.logout()
    client_for(client, w.users.grid_c)
    page = client.get(reverse("community:coverage"))
    assert page.context["uncovered"] == []
    assert "幸福小区" not in page.content.decode()


# --- consolidation -----------------------------------------------------------------------------------------


@pytest.fixture
def consolidated(community_world):
    """木垒镇 with a 综治 layer of two halves, consolidated into a new grid of 西城 overlapping grid C."""
    w = community_world
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "Z1", "name": "综治西片"},
         "geometry": mapping(box(90.27, 43.83, 90.285, 43.84))},
        {"type": "Feature", "properties": {"id": "Z2", "name": "综治东片"},
         "geometry": mapping(box(90.285, 43.83, 90.30, 43.84))},
        {"type": "Feature", "properties": {"id": "Z3", "name": "综治北片"},
         "geometry": mapping(box(90.27, 43.84, 90.30, 43.845))},
    ]}
    assert import_departmental_grids(w.town, "综治", layer).ok
    consolidate_into(w.town, {"652328100002002": ("西城社区第二网格", "652328100002", [("综治", "Z1")])})
    return w


def test_consolidation_page_shows_mapping_and_coverage(client, consolidated):
    client_for(client, consolidated.users.street)
    page = client.get(reverse("community:consolidation"))
    assert page.status_code == 200
    assert page.context["region"] == consolidated.town
    report = page.context["report"]
    assert not report.ok
    assert report.gap_area_m2 > 0  # the northern strip of 综治北片 has no unified grid
    assert {(o["a"], o["b"]) for o in page.context["overlaps"]} == {
        ("东城社区第一网格", "西城社区第二网格"), ("西城社区第一网格", "西城社区第二网格")}
    rows = {row.source_id: row for row in page.context["mapping_rows"]}
    assert rows["Z1"].unified_grid_id == "652328100002002"
    assert rows["Z2"].unified_grid_id == B  # 2/3 in B, 1/3 in A
    assert rows["Z3"].unified_grid_id is None
    html = page.content.decode()
    assert 'id="mapping-table"' in html and "综治西片" in html and "未对应" in html
    assert 'id="overlap-table"' in html
    assert "有问题" in html


def test_consolidation_page_is_scoped(client, consolidated, make_user):
    w = consolidated
    client_for(client, w.users.east)
    page = client.get(reverse("community:consolidation"))
    assert page.context["region"] == w.east
    assert sorted(row.source_id for row in page.context["mapping_rows"]) == ["Z2"]
    assert client.get(reverse("community:consolidation"), {"region": w.town.code}).status_code == 404
    assert client.get(reverse("community:consolidation"), {"region": "nonsense"}).status_code == 400  # not a code
    assert client.get(reverse("community:consolidation"), {"region": "652328999"}).status_code == 404
    assert client.get(reverse("community:consolidation"), {"region": A}).status_code == 200
    client.logout()
    client_for(client, make_user("county", "652328", Role.COUNTY_OPERATOR))
    page = client.get(reverse("community:consolidation"))
    assert page.context["region"] == w.town  # the first street with grids
    assert [c.code for c in page.context["choices"]] == [w.town.code]
