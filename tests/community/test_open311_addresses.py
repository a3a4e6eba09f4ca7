"""A GeoReport v2 POST located by ``address_string`` or ``address_id`` alone (``community.open311.addresses``)."""

from __future__ import annotations

import pytest

from changji.community.issues import categories
from changji.community.models import Building, Compound, ResidentIssue
from changji.community.open311 import create_client
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"


@pytest.fixture
def key(community_world):
    categories.seed_categories()
    return create_client("市民热线", community_world.town)[1]


def post(client, key, **location):
    return client.post(URL, {"api_key": key, "service_code": "property", "description": "楼道灯坏了", **location})


def filed(response) -> ResidentIssue:
    assert response.status_code == 201, response.content.decode()
    return ResidentIssue.objects.get(request_id=response.json()[0]["service_request_id"])


def refused(response, *words: str) -> str:
    assert response.status_code == 400, response.content.decode()
    description = response.json()[0]["description"]
    for word in words:
        assert word in description, description
    return description


@pytest.mark.parametrize("written", ["幸福小区1号楼", "幸福小区 1号楼", " 幸福小区１号楼 ", "木垒镇幸福小区1号楼3单元"])
def test_a_compound_and_building_name_finds_the_buildings_grid_and_point(client, key, community_world, written):
    building = community_world.building
    building.lon, building.lat = 90.2861, 43.8352
    building.save()
    issue = filed(post(client, key, address_string=written))
    assert (issue.region_id, issue.lon, issue.lat) == (community_world.grid_a.region_id, 90.2861, 43.8352)
    assert issue.address == written.strip()
    entry = AuditEntry.objects.filter(action="community.issue.reported").latest("pk")
    assert entry.detail["address_id"] == f"B{building.pk}"


def test_a_compound_alone_is_located_at_the_compound(client, key, community_world):
    issue = filed(post(client, key, address_string="和谐小区东门"))
    assert (issue.region_id, issue.lon, issue.lat) == (community_world.grid_c.region_id, 90.275, 43.835)


def test_the_longest_compound_name_wins(client, key, community_world):
    Compound.objects.create(region=community_world.grid_b.region, name="幸福小区二期", lon=90.295, lat=43.835)
    issue = filed(post(client, key, address_string="幸福小区二期"))
    assert issue.region_id == community_world.grid_b.region_id


def test_unknown_and_ambiguous_addresses_are_refused_and_store_nothing(client, key, community_world):
    refused(post(client, key, address_string="阳光小区5号楼"), "address_string", "未找到登记的小区")
    refused(post(client, key, address_string="幸福小区9号楼"), "address_string", "没有登记的楼栋", "9号楼")
    Compound.objects.create(region=community_world.grid_b.region, name="幸福小区", lon=90.295, lat=43.835)
    refused(post(client, key, address_string="幸福小区1号楼"), "address_string", "不明确", "address_id")
    assert ResidentIssue.objects.count() == 0


def test_two_buildings_of_one_name_are_ambiguous(client, key, community_world):
    happy = community_world.happy
    Building.objects.create(compound=happy, region=happy.region, name="1号楼", lon=90.285, lat=43.835)
    refused(post(client, key, address_string="幸福小区1号楼"), "address_string", "不明确", "2 栋楼")


def test_address_id_names_a_building_or_a_compound(client, key, community_world):
    building, harmony = community_world.building, community_world.harmony
    issue = filed(post(client, key, address_id=f"B{building.pk}"))
    assert (issue.region_id, issue.address) == (community_world.grid_a.region_id, "幸福小区1号楼")
    issue = filed(post(client, key, address_id=f"c{harmony.pk}"))
    assert (issue.region_id, issue.address) == (community_world.grid_c.region_id, "和谐小区")
    refused(post(client, key, address_id="X12"), "address_id", "B<楼栋编号>")
    refused(post(client, key, address_id="B999999"), "address_id", "登记中没有")


def test_an_address_outside_the_clients_region_is_refused_as_such(client, community_world):
    categories.seed_categories()
    west = create_client("西城社区小程序", community_world.west)[1]
    refused(post(client, west, address_string="幸福小区1号楼"), "address_string", "不在此 api_key 可上报的区域内")
    refused(post(client, west, address_id=f"B{community_world.building.pk}"), "address_id", "不在此 api_key")
    assert filed(post(client, west, address_string="和谐小区")).region_id == community_world.grid_c.region_id


def test_lat_long_still_come_first_and_half_a_pair_or_no_location_is_refused(client, key, community_world):
    issue = filed(post(client, key, lat="43.835", long="90.275", address_string="幸福小区1号楼"))
    assert issue.region_id == community_world.grid_c.region_id and issue.address == "幸福小区1号楼"
    refused(post(client, key, lat="43.835", address_string="幸福小区1号楼"), "lat/long", "both")
    refused(post(client, key), "location", "address_string", "address_id")
