"""community.grids.service: importing departmental grids, consolidation old → new, coverage, point-in-grid, commands."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from changji.community.grids import geo
from changji.community.grids.service import (
    assign_to_grids,
    consolidate_into,
    coverage_for,
    create_grid,
    import_departmental_grids,
    map_departmental,
    service_points_for,
    uncovered_compounds,
)
from changji.community.models import Building, Compound, DepartmentalGrid, Grid, Household, Resident, ServicePoint
from changji.core.models import AuditEntry, Region, RegionLevel

pytestmark = pytest.mark.django_db

#: 新区街道, a second street of 木垒县 drawn for consolidation: 0.02° × 0.01° from (90.40, 43.80).
WEST, SOUTH, EAST, NORTH, MID = 90.40, 43.80, 90.42, 43.81, 90.41


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(source_id, name, polygon, key="id") -> dict:
    return {"type": "Feature", "properties": {key: source_id, "name": name}, "geometry": mapping(polygon)}


#: Three departmental layers over the street: columns (综治), uneven columns (城管) and rows (民政).
LAYERS = {
    "综治": collection(feature("Z1", "综治西片", box(WEST, SOUTH, MID, NORTH)),
                     feature("Z2", "综治东片", box(MID, SOUTH, EAST, NORTH))),
    "城管": collection(feature("C1", "城管一片", box(WEST, SOUTH, 90.405, NORTH), key="code"),
                     feature("C2", "城管二片", box(90.405, SOUTH, EAST, NORTH), key="code")),
    "民政": collection(feature("M1", "民政南片", box(WEST, SOUTH, EAST, 43.805)),
                     feature("M2", "民政北片", box(WEST, 43.805, EAST, NORTH))),
}


@pytest.fixture
def street(db):
    """新区街道 (652328101) with one community, 新区社区 (652328101001), and no grids yet."""
    town = Region.objects.create(code="652328101", name="新区街道", level=RegionLevel.TOWNSHIP,
                                 parent=Region.objects.get(code="652328"))
    Region.objects.create(code="652328101001", name="新区社区", level=RegionLevel.VILLAGE, parent=town)
    return town


@pytest.fixture
def imported(street):
    for department, layer in LAYERS.items():
        assert import_departmental_grids(street, department, layer).ok
    return street


PLAN = {
    "652328101001001": ("新区第一网格", "652328101001", [("综治", "Z1"), ("城管", "C1")]),
    "652328101001002": ("新区第二网格", "652328101001", [("综治", "Z2")]),
}


# --- import ------------------------------------------------------------------------------------------------


def test_import_three_departmental_layers(street):
    results = [import_departmental_grids(street, department, layer) for department, layer in LAYERS.items()]
    assert [(r.created, r.updated, r.unchanged, r.errors) for r in results] == [(2, 0, 0, [])] * 3
    rows = DepartmentalGrid.objects.filter(region=street)
    assert rows.count() == 6
    c2 = rows.get(department="城管", source_id="C2")
    assert c2.name == "城管二片"
    assert geo.parse_polygon(c2.boundary).equals(box(90.405, SOUTH, EAST, NORTH))
    assert c2.unified_grid is None
    assert AuditEntry.objects.filter(action="community.grids.import", region=street).count() == 3
    assert str(results[0]) == "综治：新增 2，更新 0，未变 0"


def test_a_bad_feature_rejects_the_whole_file(street):
    layer = collection(
        feature("Z1", "综治西片", box(WEST, SOUTH, MID, NORTH)),
        {"type": "Feature", "properties": {"id": "P", "name": "一个点"},
         "geometry": {"type": "Point", "coordinates": [90.41, 43.805]}},
        {"type": "Feature", "properties": {"id": "N"}, "geometry": mapping(box(MID, SOUTH, EAST, NORTH))},
        {"type": "Feature", "properties": {"name": "无编号"}, "geometry": mapping(box(MID, SOUTH, EAST, NORTH))},
        {"type": "Feature", "properties": {"id": "B", "name": "自相交"},
         "geometry": {"type": "Polygon", "coordinates": [[[90.4, 43.8], [90.41, 43.81], [90.41, 43.8],
                                                          [90.4, 43.81], [90.4, 43.8]]]}},
        feature("Z1", "重复", box(WEST, SOUTH, MID, NORTH)),
    )
    result = import_departmental_grids(street, "综治", layer)
    assert not result.ok
    assert [index for index, _ in result.errors] == [1, 2, 3, 4, 5]
    reasons = dict(result.errors)
    assert "Polygon 或 MultiPolygon" in reasons[1]
    assert "properties.name" in reasons[2]
    assert "网格编号" in reasons[3]
    assert "不是有效的多边形" in reasons[4]
    assert "重复" in reasons[5]
    assert DepartmentalGrid.objects.count() == 0
    assert not AuditEntry.objects.filter(action="community.grids.import").exists()
    assert "未写入任何数据" in str(result)


@pytest.mark.parametrize("payload", [[], {"type": "Feature"}, {"type": "FeatureCollection", "features": {}},
                                     {"type": "FeatureCollection", "features": []}])
def test_a_file_that_is_not_a_feature_collection_is_rejected(street, payload):
    result = import_departmental_grids(street, "综治", payload)
    assert [index for index, _ in result.errors] == [None]
    assert DepartmentalGrid.objects.count() == 0


def test_import_needs_a_street_and_a_department(street):
    community = Region.objects.get(code="652328101001")
    with pytest.raises(ValueError, match="不是街道"):
        import_departmental_grids(community, "综治", LAYERS["综治"])
    with pytest.raises(ValueError, match="部门名称"):
        import_departmental_grids(street, "  ", LAYERS["综治"])


def test_reimport_is_idempotent_and_updates_a_changed_boundary(imported):
    again = import_departmental_grids(imported, "综治", LAYERS["综治"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert DepartmentalGrid.objects.count() == 6
    consolidate_into(imported, PLAN)
    assert DepartmentalGrid.objects.get(source_id="Z1").unified_grid_id == "652328101001001"

    redrawn = collection(feature("Z1", "综治西片（调整）", box(WEST, SOUTH, MID + 0.001, NORTH)),
                         feature("Z2", "综治东片", box(MID, SOUTH, EAST, NORTH)))
    result = import_departmental_grids(imported, "综治", redrawn)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    z1 = DepartmentalGrid.objects.get(source_id="Z1")
    assert z1.name == "综治西片（调整）"
    assert geo.parse_polygon(z1.boundary).bounds[2] == pytest.approx(MID + 0.001)
    assert z1.unified_grid is None and z1.overlap_share is None  # stale mapping cleared
    assert DepartmentalGrid.objects.get(source_id="Z2").unified_grid_id == "652328101001002"  # untouched
    map_departmental(imported)
    z1.refresh_from_db()
    assert z1.unified_grid_id == "652328101001001"
    assert z1.overlap_share == pytest.approx(10 / 11, rel=0.001)


def test_the_same_department_id_of_another_street_is_an_error(imported, community_world):
    result = import_departmental_grids(community_world.town, "综治", LAYERS["综治"])
    assert [index for index, _ in result.errors] == [0, 1]
    assert "其他街道" in result.errors[0][1]
    assert DepartmentalGrid.objects.filter(region=community_world.town).count() == 0


# --- consolidation -----------------------------------------------------------------------------------------


def test_consolidate_into_two_unified_grids_and_map_old_to_new(imported):
    grids = consolidate_into(imported, PLAN)
    assert [g.region_id for g in grids] == ["652328101001001", "652328101001002"]
    first, second = (Grid.objects.get(region_id=code) for code in PLAN)
    assert first.region.name == "新区第一网格"
    assert first.region.parent_id == "652328101001"
    assert first.region.level == RegionLevel.GRID
    assert geo.parse_polygon(first.boundary).equals(box(WEST, SOUTH, MID, NORTH))
    assert (first.min_lon, first.max_lon) == (pytest.approx(WEST), pytest.approx(MID))
    assert first.area_m2 == pytest.approx(geo.area_m2(box(WEST, SOUTH, MID, NORTH)))
    assert geo.parse_polygon(second.boundary).equals(box(MID, SOUTH, EAST, NORTH))

    mapping_ = {(row.department, row.source_id): (row.unified_grid_id, row.overlap_share)
                for row in DepartmentalGrid.objects.all()}
    one, two = "652328101001001", "652328101001002"
    assert mapping_[("综治", "Z1")] == (one, pytest.approx(1.0))
    assert mapping_[("综治", "Z2")] == (two, pytest.approx(1.0))
    assert mapping_[("城管", "C1")] == (one, pytest.approx(1.0))
    assert mapping_[("城管", "C2")] == (two, pytest.approx(2 / 3, rel=0.001))
    assert mapping_[("民政", "M1")] == (one, pytest.approx(0.5, rel=0.001))  # a tie goes to the lower code
    assert mapping_[("民政", "M2")] == (one, pytest.approx(0.5, rel=0.001))
    assert list(first.departmental_grids.order_by("source_id").values_list("source_id", flat=True)) == [
        "C1", "M1", "M2", "Z1"]
    assert AuditEntry.objects.filter(action="community.grids.consolidate").count() == 1


def test_consolidate_rejects_a_bad_plan_and_writes_nothing(imported):
    with pytest.raises(ValueError, match="没有部门网格"):
        consolidate_into(imported, {"652328101001001": ("甲", "652328101001", [("综治", "Z9")])})
    with pytest.raises(ValueError, match="不是 新区街道 下的社区"):
        consolidate_into(imported, {"652328100001009": ("甲", "652328100001", [("综治", "Z1")])})
    with pytest.raises(ValueError, match="同时列入"):
        consolidate_into(imported, {"652328101001001": ("甲", "652328101001", [("综治", "Z1")]),
                                    "652328101001002": ("乙", "652328101001", [("综治", "Z1")])})
    with pytest.raises(ValueError, match="网格代码"):
        consolidate_into(imported, {"65232810100100": ("甲", "652328101001", [("综治", "Z1")])})
    assert not Grid.objects.filter(region__code__startswith="652328101").exists()
    assert not Region.objects.filter(level=RegionLevel.GRID, code__startswith="652328101").exists()


def test_coverage_report_for_the_street(imported):
    consolidate_into(imported, PLAN)
    report = coverage_for(imported)
    assert report.ok
    assert report.total_area_m2 == pytest.approx(geo.area_m2(box(WEST, SOUTH, EAST, NORTH)), rel=0.001)
    assert report.gap_area_m2 < 1 and report.overlaps == []

    # Redraw the second grid to take 城管二片 too: it now overlaps the first on a 0.005° strip.
    consolidate_into(imported, {"652328101001002": ("新区第二网格", "652328101001", [("综治", "Z2"), ("城管", "C2")])})
    report = coverage_for(imported)
    assert not report.ok
    [overlap] = report.overlaps
    assert (overlap.key_a, overlap.key_b) == ("652328101001001", "652328101001002")
    assert overlap.area_m2 == pytest.approx(geo.area_m2(box(90.405, SOUTH, MID, NORTH)), rel=0.01)
    assert DepartmentalGrid.objects.get(source_id="C2").overlap_share == pytest.approx(1.0)

    # An explicit, larger boundary shows the gap to the north.
    wider = coverage_for(imported, boundary=mapping(box(WEST, SOUTH, EAST, NORTH + 0.005)))
    assert wider.gap_area_m2 == pytest.approx(geo.area_m2(box(WEST, NORTH, EAST, NORTH + 0.005)), rel=0.01)


def test_coverage_without_departmental_grids_uses_the_outline_of_the_grids(community_world):
    """木垒镇 has no departmental grids: its grids A, B, C are the boundary; removing B's middle leaves no gap."""
    report = coverage_for(community_world.town)
    assert report.ok
    assert report.total_area_m2 == pytest.approx(geo.area_m2(box(90.27, 43.83, 90.30, 43.84)), rel=0.001)
    community = coverage_for(community_world.east)
    assert community.ok
    assert community.total_area_m2 == pytest.approx(geo.area_m2(box(90.28, 43.83, 90.30, 43.84)), rel=0.001)


def test_coverage_of_a_town_with_a_hole_between_its_grids(community_world):
    """A ring of grids around an empty middle: the hole is a gap (the outline has its holes filled)."""
    town = community_world.town
    community = Region.objects.create(code="652328100009", name="环形社区", level=RegionLevel.VILLAGE, parent=town)
    cells = [(i, j) for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    for n, (i, j) in enumerate(cells):
        west, south = 91.0 + i * 0.01, 43.0 + j * 0.01
        create_grid(f"652328100009{n + 1:03d}", f"环形{n + 1}", community,
                    mapping(box(west, south, west + 0.01, south + 0.01)))
    report = coverage_for(community)
    assert not report.ok
    assert report.gap_area_m2 == pytest.approx(geo.area_m2(box(91.01, 43.01, 91.02, 43.02)), rel=0.01)


# --- point in grid -----------------------------------------------------------------------------------------


def test_assign_compounds_and_buildings_cascades_to_households_and_residents(community_world):
    w = community_world
    town, grid_a, grid_b, grid_c = w.town, w.grid_a.region, w.grid_b.region, w.grid_c.region
    # The building was surveyed again: it stands in grid B.
    Building.objects.filter(pk=w.building.pk).update(lon=90.295)
    # A new compound registered at the community, standing in grid B; one outside every grid.
    new = Compound.objects.create(region=w.east, name="新建小区", lon=90.2951, lat=43.8351)
    lost = Compound.objects.create(region=grid_c, name="城外小区", lon=90.5, lat=43.835)
    far = Compound.objects.create(region=town, name="远郊小区", lon=90.6, lat=43.835)

    result = assign_to_grids(Compound.objects.all(), town)
    assert (result.assigned, result.unmatched, result.changed) == (3, 2, 2)
    assert Compound.objects.get(pk=new.pk).region == grid_b
    assert Compound.objects.get(pk=lost.pk).region == w.west  # outside every grid: back to its community
    assert Compound.objects.get(pk=far.pk).region == town  # keeps the street
    assert Compound.objects.get(pk=w.happy.pk).region == grid_a
    assert Compound.objects.get(pk=w.harmony.pk).region == grid_c

    result = assign_to_grids(Building.objects.all(), town)
    assert (result.assigned, result.unmatched, result.changed) == (1, 0, 1)
    assert Building.objects.get(pk=w.building.pk).region == grid_b
    assert Household.objects.get(pk=w.household.pk).region == grid_b
    assert set(Resident.objects.values_list("region_id", flat=True)) == {grid_b.code}
    details = list(AuditEntry.objects.filter(action="community.grids.assign").values_list("detail", flat=True))
    assert {"model": "community.building", "assigned": 1, "unmatched": 0, "changed": 1} in details

    again = assign_to_grids(Building.objects.all(), town)
    assert again.changed == 0


def test_assign_within_a_community_leaves_other_communities_alone(community_world):
    w = community_world
    Compound.objects.filter(pk=w.harmony.pk).update(lon=90.285)  # moved into grid A's square, but in 西城
    result = assign_to_grids(Compound.objects.all(), w.east)
    assert (result.assigned, result.unmatched) == (1, 0)
    assert Compound.objects.get(pk=w.harmony.pk).region == w.grid_c.region


def test_a_point_on_the_edge_of_two_grids_goes_to_the_lower_code(community_world):
    w = community_world
    Compound.objects.filter(pk=w.happy.pk).update(lon=90.29)  # on the edge between A and B
    assign_to_grids(Compound.objects.all(), w.town)
    assert Compound.objects.get(pk=w.happy.pk).region == w.grid_a.region


# --- the service circle ------------------------------------------------------------------------------------


def test_uncovered_compounds_lists_those_beyond_the_circle(community_world, settings):
    w = community_world
    settings.COMMUNITY_SERVICE_CIRCLE_M = 800
    point = ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.8355)
    rows = uncovered_compounds(w.town)
    assert [(row.compound.name, row.nearest, row.covered) for row in rows] == [("和谐小区", point, False)]
    assert rows[0].distance_m == pytest.approx(geo.distance_m(90.275, 43.835, 90.286, 43.8355))
    # For grid A, the service points of its community serve it.
    assert list(service_points_for(w.grid_a.region)) == [point]
    assert uncovered_compounds(w.grid_a.region) == []
    # 西城 has no service point of its own.
    [row] = uncovered_compounds(w.west)
    assert (row.compound, row.nearest, row.distance_m) == (w.harmony, None, None)
    # A circle of 1,000 m reaches 和谐小区 (about 880 m away).
    assert uncovered_compounds(w.town, radius_m=1000) == []
    settings.COMMUNITY_SERVICE_CIRCLE_M = 1000
    assert uncovered_compounds(w.town) == []


# --- the import_grids command ------------------------------------------------------------------------------


def test_import_grids_command(street, tmp_path, capsys):
    path = tmp_path / "zongzhi.geojson"
    path.write_text(json.dumps(LAYERS["综治"], ensure_ascii=False), encoding="utf-8")
    call_command("import_grids", "652328101", "综治", str(path))
    assert "新增 2" in capsys.readouterr().out
    call_command("import_grids", "652328101", "综治", str(path))
    assert "未变 2" in capsys.readouterr().out
    assert DepartmentalGrid.objects.count() == 2


def test_import_grids_command_rejects_bad_input(street, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(
        feature("Z1", "综治西片", box(WEST, SOUTH, MID, NORTH)),
        {"type": "Feature", "properties": {"id": "Z2"}, "geometry": mapping(box(MID, SOUTH, EAST, NORTH))},
    )), encoding="utf-8")
    with pytest.raises(CommandError, match=r"要素 1：缺少网格名称"):
        call_command("import_grids", "652328101", "综治", str(bad))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("import_grids", "652328101", "综治", str(broken))
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_grids", "652328101", "综治", str(tmp_path / "missing.geojson"))
    with pytest.raises(CommandError, match="未找到区划"):
        call_command("import_grids", "652328999", "综治", str(bad))
    with pytest.raises(CommandError, match="不是街道"):
        call_command("import_grids", "652328", "综治", str(bad))
    assert DepartmentalGrid.objects.count() == 0


def test_consolidate_grids_command_merges_assigns_and_reports_coverage(imported, tmp_path, capsys):
    from changji.community.models import Compound

    compound = Compound.objects.create(region=imported, name="新区小区", lon=(WEST + MID) / 2, lat=(SOUTH + NORTH) / 2)
    plan = {code: {"name": name, "community": community, "departmental": [list(key) for key in keys]}
            for code, (name, community, keys) in PLAN.items()}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    call_command("consolidate_grids", "652328101", str(path))
    out = capsys.readouterr().out
    assert "统一网格 2 个" in out and "小区入格 1" in out and "覆盖检查：通过" in out
    compound.refresh_from_db()
    assert compound.region_id == "652328101001001"
    assert DepartmentalGrid.objects.filter(unified_grid__isnull=True).count() == 0


def test_import_grids_command_refuses_hostile_files_with_one_short_message(street, tmp_path):
    """Deep nesting, a file over the cap and thousands of bad features: a CommandError, never a traceback."""
    nested = tmp_path / "nested.geojson"
    nested.write_text("[" * 200_000, encoding="utf-8")
    with pytest.raises(CommandError, match="嵌套层数过多"):
        call_command("import_grids", "652328101", "综治", str(nested))
    huge = tmp_path / "huge.geojson"
    with huge.open("wb") as handle:
        handle.truncate(51 * 2**20)  # sparse: refused by its size, before it is read
    with pytest.raises(CommandError, match="过大"):
        call_command("import_grids", "652328101", "综治", str(huge))
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(*(
        {"type": "Feature", "properties": {"id": f"Z{n}", "name": "片"}, "geometry": {"type": "X" * 10_000}}
        for n in range(2000)))), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_grids", "652328101", "综治", str(bad))
    message = str(caught.value)
    assert "2000 处错误" in message and "……以及另外 1950 个问题" in message
    assert message.count("要素 ") == 50 and len(message) < 15_000
    assert DepartmentalGrid.objects.count() == 0


def test_consolidate_grids_command_rejects_bad_plans_and_writes_nothing(imported, tmp_path):
    cases = {
        "[]": "JSON 对象",
        '{"652328101001001": {"name": "甲", "community": "652328101001"}}': "departmental",
        '{"652328101001001": {"name": "甲", "community": "652328101001", "departmental": [["综治", "Z9"]]}}':
            "没有部门网格",
        "{broken": "不是有效的 JSON",
    }
    for text, words in cases.items():
        path = tmp_path / "plan.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CommandError, match=words):
            call_command("consolidate_grids", "652328101", str(path))
    with pytest.raises(CommandError, match="未找到街道"):
        call_command("consolidate_grids", "652328", str(path))
    assert not Grid.objects.filter(region__code__startswith="652328101").exists()
