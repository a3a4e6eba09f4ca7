"""Migrations 0006–0007: each community's distinct grid party branch names become organisations covering the grids."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

BEFORE = ("community", "0005_meeting_region_required")
AFTER = ("community", "0007_remove_grid_party_branch")


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _old_grids(apps) -> None:
    region = apps.get_model("core", "Region")
    grid_model = apps.get_model("community", "Grid")
    county = region.objects.get(code="652328")
    town = region.objects.create(code="652328100", name="木垒镇", level=4, parent=county,
                                 path=f"{county.path}652328100/")
    box = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    branches = {"652328100001": ["东城联合党支部", "东城联合党支部", "东城三网格党支部", ""],
                "652328100002": ["东城联合党支部"]}  # the same name in another community is another organisation
    for community_code, names in branches.items():
        community = region.objects.create(code=community_code, name=community_code, level=5, parent=town,
                                          path=f"{town.path}{community_code}/")
        for index, name in enumerate(names, 1):
            code = f"{community_code}{index:03d}"
            grid_region = region.objects.create(code=code, name=code, level=6, parent=community,
                                                path=f"{community.path}{code}/")
            grid_model.objects.create(region=grid_region, boundary=box, min_lon=0, min_lat=0, max_lon=1, max_lat=1,
                                      party_branch=name)


def test_branch_names_become_organisations_covering_their_grids():
    executor = _executor()
    leaves = list(executor.loader.graph.leaf_nodes())
    try:
        executor.migrate([BEFORE])
        _old_grids(executor.loader.project_state(BEFORE).apps)
        executor = _executor()
        executor.migrate([AFTER])
        apps = executor.loader.project_state(AFTER).apps
        organisations = apps.get_model("community", "GridPartyOrganisation").objects.order_by("region_id", "name")
        found = [(o.region_id, o.name, sorted(o.grids.values_list("region_id", flat=True))) for o in organisations]
        assert found == [
            ("652328100001", "东城三网格党支部", ["652328100001003"]),
            ("652328100001", "东城联合党支部", ["652328100001001", "652328100001002"]),
            ("652328100002", "东城联合党支部", ["652328100002001"]),
        ]
        assert "party_branch" not in {f.name for f in apps.get_model("community", "Grid")._meta.get_fields()}
        executor = _executor()
        executor.migrate([BEFORE])  # and back: each grid names its organisation again
        apps = executor.loader.project_state(BEFORE).apps
        assert dict(apps.get_model("community", "Grid").objects.values_list("region_id", "party_branch")) == {
            "652328100001001": "东城联合党支部", "652328100001002": "东城联合党支部",
            "652328100001003": "东城三网格党支部", "652328100001004": "", "652328100002001": "东城联合党支部"}
    finally:
        _executor().migrate(leaves)
