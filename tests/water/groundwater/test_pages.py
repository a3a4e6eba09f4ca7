"""地下水 pages and API: the monitoring-well page, red lines (form, XLSX, API), zone import with errors, scope."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from changji.core import localtime
from changji.core.models import AuditEntry
from changji.core.uploads import MAX_UPLOAD_BYTES
from changji.water.models import ControlLevel, DailyUsage, OverdraftZone, Well

pytestmark = pytest.mark.django_db

SQUARE = [[86.85, 44.15], [86.95, 44.15], [86.95, 44.25], [86.85, 44.25], [86.85, 44.15]]


@pytest.fixture
def wells():
    monitoring = Well.objects.create(code="652323-M1", name="呼图壁监测井", kind="monitoring", region_id="652323",
                                     latitude=44.2, longitude=86.9)
    near = Well.objects.create(code="652323-00001", name="近井", region_id="652323", latitude=44.21, longitude=86.91)
    Well.objects.create(code="652323-00002", name="远井", region_id="652323", latitude=44.4, longitude=86.9)
    foreign = Well.objects.create(code="652324-M1", name="玛纳斯监测井", kind="monitoring", region_id="652324",
                                  latitude=44.3, longitude=86.2)
    today = localtime.today()
    DailyUsage.objects.create(well=near, day=today - timedelta(days=1) if today.month > 1 or today.day > 1 else today,
                              usage_m3=123.0, water_m3=123.0, source="metered")
    return monitoring, near, foreign


@pytest.fixture
def operator(make_user):
    return make_user("hutubi", "652323")


def test_the_monitoring_well_page_lists_the_wells_within_5_km_and_sets_the_red_line(client, operator, wells):
    monitoring, near, foreign = wells
    client.force_login(operator)
    page = client.get(f"/water/groundwater/wells/{monitoring.pk}/")
    assert page.status_code == 200
    nearby = page.context["nearby"]
    assert [r["well"].code for r in nearby] == ["652323-00001"] and nearby[0]["use_m3"] == 123.0
    assert "level-chart-data" in page.content.decode() and page.context["chart"]["red_line"] is None
    response = client.post(f"/water/groundwater/wells/{monitoring.pk}/", {"control_depth_m": "32.5", "document": "文"})
    assert response.status_code == 302
    assert ControlLevel.objects.get(well=monitoring).control_depth_m == 32.5
    entry = AuditEntry.objects.get(action="water.groundwater.control_level_saved")
    assert entry.detail["after"] == 32.5 and entry.detail["before"] is None
    assert client.post(f"/water/groundwater/wells/{monitoring.pk}/", {"control_depth_m": "-1"}).status_code == 400
    assert client.get(f"/water/groundwater/wells/{foreign.pk}/").status_code == 404
    assert client.get(f"/water/groundwater/wells/{near.pk}/").status_code == 404  # not a monitoring well


def test_a_viewer_reads_but_may_not_set_a_red_line(client, make_user, wells):
    monitoring, _, _ = wells
    client.force_login(make_user("viewer", "652323", role="township_viewer"))
    assert client.get(f"/water/groundwater/wells/{monitoring.pk}/").status_code == 200
    assert client.post(f"/water/groundwater/wells/{monitoring.pk}/", {"control_depth_m": "30"}).status_code == 403
    assert not ControlLevel.objects.exists()


def _workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "管控水位"
    sheet.append(["监测井编号", "管控水位埋深（米）", "依据文件"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("lines.xlsx", out.getvalue())


def test_red_lines_import_is_all_or_nothing_with_row_errors(client, operator, wells):
    client.force_login(operator)
    response = client.post("/water/groundwater/import/", {"workbook": _workbook(
        [["652323-M1", 30, "文"], ["652324-M1", 30, ""], ["652323-M1", "深", ""]])})
    assert response.status_code == 400 and not ControlLevel.objects.exists()
    errors = response.context["errors"]
    assert any("第 3 行" in e and "652324-M1" in e for e in errors) and any("第 4 行" in e for e in errors)
    response = client.post("/water/groundwater/import/", {"workbook": _workbook([["652323-M1", 30, "文"]])})
    assert response.status_code == 302 and ControlLevel.objects.get().control_depth_m == 30


def _collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _feature(name="东滩超采区", level="severe", region="652323", coords=None, **extra):
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords or SQUARE]},
            "properties": {"name": name, "level": level, "region": region, "document": "新政发〔2020〕示例号",
                           "valid_from_year": 2024, **extra}}


def test_zone_import_names_each_bad_feature_and_applies_nothing(client, operator, wells):
    client.force_login(operator)
    bad = _collection(_feature(), _feature("越界", region="652324"), _feature("开环", coords=SQUARE[:-1]),
                      _feature("等级", level="extreme"))
    response = client.post("/water/groundwater/zones/", {"file": SimpleUploadedFile("z.geojson", bad)})
    assert response.status_code == 400 and not OverdraftZone.objects.exists()
    problems = response.context["problems"]
    assert [p.split("：")[0] for p in problems] == ["第 2 个要素（越界）", "第 3 个要素（开环）", "第 4 个要素（等级）"]
    assert "未闭合" in problems[1]
    not_json = client.post("/water/groundwater/zones/", {"file": SimpleUploadedFile("z.geojson", b"{oops")})
    assert not_json.status_code == 400 and "JSON" in not_json.context["problems"][0]
    good = client.post("/water/groundwater/zones/", {"file": SimpleUploadedFile("z.geojson", _collection(_feature()))})
    assert good.status_code == 302
    zone = OverdraftZone.objects.get()
    assert (zone.level, zone.region_id) == ("severe", "652323")
    detail = client.get(f"/water/groundwater/zones/{zone.pk}/")
    assert [w.code for w, _ in detail.context["rows"]] == ["652323-00001"]
    geo = client.get("/water/map/zones.geojson").json()
    assert [f["properties"]["name"] for f in geo["features"]] == ["东滩超采区"]


def test_zone_import_refuses_an_oversized_file_before_reading_it(client, operator, wells):
    client.force_login(operator)
    big = _collection(_feature()) + b" " * MAX_UPLOAD_BYTES  # valid JSON, over the upload cap
    response = client.post("/water/groundwater/zones/", {"file": SimpleUploadedFile("z.geojson", big)})
    assert response.status_code == 400 and not OverdraftZone.objects.exists()
    assert "文件过大" in response.content.decode()


def test_api_red_lines_and_zones_are_scoped(client, operator, wells):
    monitoring, _, foreign = wells
    client.force_login(operator)
    put = client.put(f"/api/water/groundwater/control-levels/{monitoring.pk}",
                     json.dumps({"control_depth_m": 31.0, "document": "api"}), content_type="application/json")
    assert put.status_code == 200 and put.json()["control_depth_m"] == 31.0
    assert client.put(f"/api/water/groundwater/control-levels/{foreign.pk}", json.dumps({"control_depth_m": 1.0}),
                      content_type="application/json").status_code == 404
    ControlLevel.objects.create(well=foreign, control_depth_m=9.0)
    assert [r["well_code"] for r in client.get("/api/water/groundwater/control-levels").json()] == ["652323-M1"]
    posted = client.post("/api/water/groundwater/zones", _collection(_feature(), _feature("越界", region="652324")),
                         content_type="application/json")
    assert posted.status_code == 400 and "越界" in json.dumps(posted.json(), ensure_ascii=False)
    posted = client.post("/api/water/groundwater/zones", _collection(_feature()), content_type="application/json")
    assert posted.json() == {"created": 1, "updated": 0}
    assert client.get("/api/water/groundwater/zones").json()[0]["level_label"] == "严重超采区"
