"""超采区 polygons in the tax statement: a well inside a zone's outline counts in that zone (README, "Groundwater").

The rule: a well's zone is the stricter of its region's designation (OverdraftArea) and the polygons valid in the
period's year that contain it; a polygon never makes a designated region milder.
"""

from decimal import Decimal as D

import pytest

from changji.core.models import Region
from changji.water.models import OverdraftZone, WaterTaxRate, Well
from changji.water.tax.statement import tax_statement
from tests.water.tax.conftest import QUARTER_AT

pytestmark = pytest.mark.django_db


def _square(lat, lon, half=0.02):
    return {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                [lon + half, lat + half], [lon - half, lat + half],
                                                [lon - half, lat - half]]]}


def _zone(name, level, geometry, first=2024, last=None):
    return OverdraftZone.objects.create(name=name, level=level, region_id="652323", geometry=geometry,
                                        document="示例", valid_from_year=first, valid_to_year=last)


def _lines():
    [user] = tax_statement("quarter", QUARTER_AT, Region.objects.get(code="652323")).users
    return {line.code: line for line in user.lines}


def test_a_well_inside_a_severe_polygon_is_taxed_as_severe(tax_world):
    Well.objects.filter(pk=tax_world.well_b.pk).update(latitude=44.30, longitude=87.00)
    WaterTaxRate.objects.create(source="groundwater", use="industrial", zone="severe", rate_yuan_per_m3=D("2.40"),
                                over_plan_multiplier=D(3), valid_from_year=2024, document="示例")
    before = _lines()
    assert before["652323-B"].zone == "normal" and before["652323-B"].rate.rate_yuan_per_m3 == D("1.60")
    _zone("东滩严重超采区", "severe", _square(44.30, 87.00))
    after = _lines()
    assert after["652323-B"].zone == "severe" and after["652323-B"].rate.rate_yuan_per_m3 == D("2.40")
    assert after["652323-A"].zone == "overdraft"  # outside the polygon: its township's designation stands


def test_a_general_polygon_never_makes_a_designated_region_milder_and_years_count(tax_world):
    _zone("东滩一般超采区", "overdraft", _square(44.2, 86.9))
    lines = _lines()
    assert lines["652323-A"].zone == "overdraft" and lines["652323-B"].zone == "overdraft"
    OverdraftZone.objects.all().delete()
    _zone("已撤销", "severe", _square(44.2, 86.9), first=2020, last=2025)  # not valid in 2026
    assert _lines()["652323-B"].zone == "normal"


def test_surface_water_is_never_in_a_zone(tax_world):
    from changji.water.models import Licence

    Licence.objects.filter(wells=tax_world.well_b).update(source="surface")
    _zone("东滩严重超采区", "severe", _square(44.2, 86.9))
    assert _lines()["652323-B"].zone == "normal"
