"""The GB/T 2260 region tree seeded by the core's data migration."""

import pytest

from changji.core.models import Region, RegionLevel
from changji.core.regions import CHANGJI_COUNTY_CODES

pytestmark = pytest.mark.django_db


def test_changji_and_its_seven_counties_are_seeded():
    changji = Region.objects.get(code="652300")
    assert changji.name == "昌吉回族自治州"
    assert changji.level == RegionLevel.PREFECTURE
    assert changji.parent.code == "650000"
    counties = set(changji.children.values_list("code", flat=True))
    assert counties == {"652301", "652302", "652323", "652324", "652325", "652327", "652328"}
    assert set(CHANGJI_COUNTY_CODES) == counties


def test_path_chains_codes_from_the_nation_down():
    hutubi = Region.objects.get(code="652323")
    assert hutubi.path == "000000/650000/652300/652323/"
    assert hutubi.ancestors() == ["000000", "650000", "652300", "652323"]


def test_new_region_derives_its_path_from_its_parent():
    township = Region.objects.create(
        code="652323100", name="呼图壁镇", level=RegionLevel.TOWNSHIP, parent_id="652323"
    )
    assert township.path == "000000/650000/652300/652323/652323100/"
    assert Region.objects.get(code="652300").contains(township)
    assert not Region.objects.get(code="652301").contains(township)


def test_within_returns_the_region_and_everything_below():
    codes = set(Region.objects.within(Region.objects.get(code="652300")).values_list("code", flat=True))
    assert "652300" in codes and "652328" in codes
    assert "650000" not in codes and "000000" not in codes
