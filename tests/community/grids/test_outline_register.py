"""community.grids.outline_register: outlines checked against the town and the compound, imported all or nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from changji.community.admin import BuildingForm, CompoundForm
from changji.community.grids.outline_register import export_outlines, import_outlines, map_outlines
from changji.community.models import Building, Compound
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def polygon(west: float, south: float, east: float, north: float) -> dict:
    return json.loads(json.dumps(mapping(box(west, south, east, north))))


#: 幸福小区's wall and its 1号楼 inside it (grid A of community_world: 90.28–90.29° E, 43.83–43.84° N).
HAPPY_WALL = polygon(90.2840, 43.8340, 90.2860, 43.8360)
HAPPY_NO1 = polygon(90.2845, 43.8348, 90.2851, 43.8350)


def feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_import_sets_the_outlines_named_by_compound_and_building_and_is_audited(community_world):
    w = community_world
    result = import_outlines(collection(feature(HAPPY_NO1, compound="幸福小区", building="1号楼"),
                                        feature(HAPPY_WALL, compound="幸福小区")))
    assert result.ok, str(result)
    assert (result.compounds, result.buildings) == (1, 1)
    w.happy.refresh_from_db()
    w.building.refresh_from_db()
    assert w.happy.outline == HAPPY_WALL and w.building.outline == HAPPY_NO1
    assert AuditEntry.objects.filter(action="community.outlines.import").get().detail == {"compounds": 1,
                                                                                          "buildings": 1}


def test_a_failing_feature_saves_nothing_and_is_named_by_its_number(community_world):
    w = community_world
    result = import_outlines(collection(
        feature(HAPPY_WALL, compound="幸福小区"),
        feature(polygon(90.2870, 43.8348, 90.2876, 43.8350), compound="幸福小区", building="1号楼"),  # outside the wall
        feature(polygon(90.2750, 43.8350, 90.2760, 43.8360), compound="无名小区"),
        feature(polygon(90.50, 43.83, 90.51, 43.84), compound_id=w.harmony.pk),  # outside 木垒镇's grids
    ))
    assert not result.ok
    assert [number for number, _ in result.errors] == [2, 3, 4]
    assert "超出小区轮廓" in result.errors[0][1] and "未找到小区" in result.errors[1][1]
    assert "超出所在街道" in result.errors[2][1]
    assert "未保存任何轮廓" in str(result)
    assert not Compound.objects.exclude(outline=None).exists()
    assert not Building.objects.exclude(outline=None).exists()
    assert not AuditEntry.objects.filter(action="community.outlines.import").exists()


def test_repeated_features_and_a_file_that_is_not_a_collection_are_refused(community_world):
    repeated = import_outlines(collection(feature(HAPPY_WALL, compound="幸福小区"),
                                          feature(HAPPY_WALL, compound_id=community_world.happy.pk)))
    assert repeated.errors == [(2, "与第 1 个要素是同一小区")]
    assert import_outlines({"type": "Feature"}).errors == [(None, "文件不是 GeoJSON FeatureCollection")]


def test_export_then_import_round_trips_through_the_commands(community_world, tmp_path):
    w = community_world
    assert import_outlines(collection(feature(HAPPY_WALL, compound="幸福小区"),
                                      feature(HAPPY_NO1, compound="幸福小区", building="1号楼"))).ok
    exported = export_outlines()
    assert [f["properties"] for f in exported["features"]] == [
        {"compound_id": w.happy.pk, "compound": "幸福小区"},
        {"compound_id": w.happy.pk, "compound": "幸福小区", "building_id": w.building.pk, "building": "1号楼"}]
    path = tmp_path / "outlines.geojson"
    call_command("community", "export-outlines", "-o", str(path))
    assert json.loads(path.read_text(encoding="utf-8")) == exported
    Compound.objects.update(outline=None)
    Building.objects.update(outline=None)
    call_command("community", "import-outlines", str(path))
    w.happy.refresh_from_db()
    w.building.refresh_from_db()
    assert (w.happy.outline, w.building.outline) == (HAPPY_WALL, HAPPY_NO1)


def test_the_import_command_names_the_bad_feature(community_world, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection(feature(HAPPY_WALL, compound="幸福小区"),
                                          feature({"type": "Point", "coordinates": [90.285, 43.835]},
                                                  compound="和谐小区"))), encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 个要素"):
        call_command("community", "import-outlines", str(path))
    assert not Compound.objects.exclude(outline=None).exists()


def test_the_admin_forms_check_the_outline(community_world):
    w = community_world
    data = {"region": w.grid_a.region_id, "name": "幸福小区", "lon": 90.285, "lat": 43.835,
            "outline": json.dumps(polygon(90.50, 43.83, 90.51, 43.84))}
    form = CompoundForm(data, instance=w.happy)
    assert not form.is_valid() and "超出所在街道" in form.errors["outline"][0]
    form = CompoundForm({**data, "outline": json.dumps(HAPPY_WALL)}, instance=w.happy)
    assert form.is_valid(), form.errors
    form.save()
    building = {"compound": w.happy.pk, "region": w.grid_a.region_id, "name": "1号楼", "lon": 90.285, "lat": 43.835,
                "outline": json.dumps(polygon(90.2870, 43.8348, 90.2876, 43.8350))}
    form = BuildingForm(building, instance=w.building)
    assert not form.is_valid() and "超出小区轮廓" in form.errors["outline"][0]
    assert BuildingForm({**building, "outline": json.dumps(HAPPY_NO1)}, instance=w.building).is_valid()
    assert BuildingForm({**building, "outline": "null"}, instance=w.building).is_valid()


def test_map_outlines_carry_names_and_shapes_only(community_world):
    assert import_outlines(collection(feature(HAPPY_WALL, compound="幸福小区"),
                                      feature(HAPPY_NO1, compound="幸福小区", building="1号楼"))).ok
    drawn = map_outlines()
    assert [row[1] for row in drawn["compounds"]] == ["幸福小区", "和谐小区"]
    assert drawn["compounds"][1][4] is None  # 和谐小区 has no outline yet: its point only
    assert drawn["buildings"] == [[0, "1号楼", HAPPY_NO1["coordinates"]]]
    assert map_outlines((90.27, 43.83, 90.28, 43.84)) == {
        "compounds": [[community_world.harmony.pk, "和谐小区", 90.275, 43.835, None]], "buildings": []}
