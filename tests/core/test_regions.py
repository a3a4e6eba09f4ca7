"""The GB/T 2260 region tree seeded by the core's data migration, and the instance's root region."""

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate
from django.test import override_settings

from changji.core import regions
from changji.core.models import Region, RegionLevel

pytestmark = pytest.mark.django_db


def test_changji_and_its_seven_counties_are_seeded():
    changji = Region.objects.get(code="652300")
    assert changji.name == "昌吉回族自治州"
    assert changji.level == RegionLevel.PREFECTURE
    assert changji.parent.code == "650000"
    counties = set(changji.children.values_list("code", flat=True))
    assert counties == {"652301", "652302", "652323", "652324", "652325", "652327", "652328"}
    assert {code for code, *_, parent in regions.seed_tree("652300") if parent == "652300"} == counties


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


def test_the_root_is_a_setting_with_changji_as_default(settings):
    assert regions.root() == "652300"
    assert regions.root_region().name == "昌吉回族自治州"
    settings.CHANGJI_ROOT_REGION = "652323"
    assert regions.root() == "652323"
    assert regions.root_region().name == "呼图壁县"


@pytest.mark.parametrize(("root", "lineage", "descendants"), [
    ("000000", ["000000"], 34 + 14 + 7),     # the nation: every known division below it
    ("650000", ["000000", "650000"], 14 + 7),  # a region: its prefectures and Changji's counties (its rows arrive)
    ("652300", ["000000", "650000", "652300"], 7),  # the prefecture: its counties and cities
    ("652323", ["000000", "650000", "652300", "652323"], 0),  # a county: townships come with the registry
])
def test_each_level_seeds_its_ancestors_and_its_known_descendants(root, lineage, descendants):
    tree = regions.seed_tree(root)
    assert [code for code, *_ in tree[: len(lineage)]] == lineage
    assert [level for _, _, level, _ in tree[: len(lineage)]] == list(range(len(lineage)))
    known = {root}
    for code, _, _, parent in tree[len(lineage):]:  # parents first, each below the root
        assert parent in known
        known.add(code)
    assert len(tree) - len(lineage) == descendants


def _migrated():
    core = apps.get_app_config("core")
    post_migrate.send(sender=core, app_config=core, verbosity=0, interactive=False, using="default", apps=apps,
                      plan=[])


@override_settings(CHANGJI_ROOT_REGION="000000")
def test_migrate_seeds_a_new_roots_tree():
    """An instance whose root changes gets the new tree on the next migrate (post_migrate), paths and all."""
    assert not Region.objects.filter(code="110000").exists()
    _migrated()
    beijing = Region.objects.get(code="110000")
    assert (beijing.name, beijing.level, beijing.path) == ("北京市", RegionLevel.REGION, "000000/110000/")
    assert Region.objects.get(code="000000").children.count() == 34
    assert regions.root_region().level == RegionLevel.NATION


def test_migrate_keeps_the_regions_already_there():
    Region.objects.filter(code="652300").update(name="昌吉州")
    _migrated()
    assert Region.objects.get(code="652300").name == "昌吉州"
    assert Region.objects.count() == len(regions.seed_tree("652300"))


def test_a_root_outside_the_seed_is_refused_by_a_check(settings):
    settings.CHANGJI_ROOT_REGION = "652399"
    assert [e.id for e in run_checks() if e.id.startswith("changji.")] == ["changji.E010"]
    with pytest.raises(ImproperlyConfigured, match="CHANGJI_ROOT_REGION=652399"):
        regions.root_region()
    settings.CHANGJI_ROOT_REGION = "652323"
    assert not [e for e in run_checks() if e.id.startswith("changji.")]
