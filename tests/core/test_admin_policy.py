"""The admin under the one guard: permissions from the policy, rows and choices from the user's region.

A county administrator (a 州级管理员 bound to 呼图壁县) cannot point a well, a terminal or an account at another
county, cannot see or edit another county's accounts or any superuser, and cannot grant superuser rights;
only an unbounded superuser may. The system checks refuse an admin outside the policy or the region scope.
"""

from __future__ import annotations

import pytest
from django.contrib import admin

from changji.core.admin_scope import PolicyAdmin, RegionScopedAdmin
from changji.core.checks import admin_errors
from changji.core.models import AuditEntry, Role, User
from changji.water.models import Terminal, WaterUser, Well

pytestmark = pytest.mark.django_db

WELL_FORM = {"code": "652323-90001", "name": "新井", "kind": "extraction", "use": "agricultural",
             "latitude": "44.3", "longitude": "86.9", "pump_rated_power_kw": "30", "pump_rated_flow_m3h": "55",
             "terminals-TOTAL_FORMS": "0", "terminals-INITIAL_FORMS": "0", "meters-TOTAL_FORMS": "0",
             "meters-INITIAL_FORMS": "0"}


@pytest.fixture
def county_admin(make_user):
    return make_user("hutubi-admin", "652323", role=Role.PREFECTURE_ADMIN)


def test_a_county_administrator_cannot_create_a_well_in_another_county(client, county_admin):
    client.force_login(county_admin)
    page = client.get("/admin/water/well/add/").content.decode()
    assert 'value="652323"' in page and 'value="652324"' not in page
    response = client.post("/admin/water/well/add/", {**WELL_FORM, "region": "652324"})
    assert response.status_code == 200 and "region" in response.context["adminform"].form.errors
    assert not Well.objects.exists()
    response = client.post("/admin/water/well/add/", {**WELL_FORM, "region": "652323"})
    assert response.status_code == 302 and Well.objects.get().region_id == "652323"


def test_raw_id_choices_are_limited_to_the_region_too(client, county_admin):
    """A water user of another county typed by id into the raw-id field is refused."""
    foreign = WaterUser.objects.create(code="652324-U1", name="外县用户", region_id="652324")
    client.force_login(county_admin)
    response = client.post("/admin/water/well/add/", {**WELL_FORM, "region": "652323", "water_user": foreign.pk})
    assert "water_user" in response.context["adminform"].form.errors
    assert not Well.objects.exists()


def _terminal(address: str, county: str) -> Terminal:
    well = Well.objects.create(code=f"{county}-{address[-5:]}", name=f"机井{address}", region_id=county,
                               latitude=44.3, longitude=86.9, pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    return Terminal.objects.create(protocol="szy206", address=address, well=well, region_id=county)


def test_a_terminal_cannot_move_to_a_well_of_another_county(client, county_admin):
    own, foreign = _terminal("6523230001", "652323"), _terminal("6523240001", "652324")
    client.force_login(county_admin)
    data = {"protocol": "szy206", "address": own.address, "region": "652323", "well": foreign.well_id,
            "report_interval_s": "300", "variant": own.variant, "batch": own.batch_id or ""}
    response = client.post(f"/admin/water/terminal/{own.pk}/change/", data)
    assert response.status_code == 200
    assert Terminal.objects.get(pk=own.pk).well_id == own.well_id


def test_accounts_are_managed_within_the_administrators_region(client, county_admin, make_user):
    own = make_user("hutubi-viewer", "652323", role=Role.TOWNSHIP_VIEWER)
    other = make_user("manas-viewer", "652324", role=Role.TOWNSHIP_VIEWER)
    root = User.objects.create_superuser("root", "root@example.org", "x-Secret-2026")
    client.force_login(county_admin)
    listing = client.get("/admin/core/user/").content.decode()
    assert "hutubi-viewer" in listing and "manas-viewer" not in listing and ">root<" not in listing
    assert client.get(f"/admin/core/user/{other.pk}/change/").status_code == 302  # not found in scope
    assert client.get(f"/admin/core/user/{root.pk}/change/").status_code == 302
    page = client.get(f"/admin/core/user/{own.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page and 'name="user_permissions"' not in page
    base = {"username": own.username, "role": Role.COUNTY_OPERATOR, "is_active": "on", "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00", "first_name": "", "last_name": "", "email": "", "phone": ""}
    response = client.post(f"/admin/core/user/{own.pk}/change/", {**base, "region": "652300"})  # above their own
    assert response.status_code == 200
    response = client.post(f"/admin/core/user/{own.pk}/change/", {**base, "region": "652323", "is_superuser": "on"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.role, own.region_id, own.is_superuser) == (Role.COUNTY_OPERATOR, "652323", False)
    entry = AuditEntry.objects.get(action="core.user.role")
    assert entry.detail["after"]["role"] == Role.COUNTY_OPERATOR and entry.actor == county_admin


def test_a_new_account_of_a_bounded_administrator_needs_a_region_in_scope(client, county_admin):
    client.force_login(county_admin)
    form = {"username": "new-op", "password1": "Gh7-long-enough-pass", "password2": "Gh7-long-enough-pass",
            "role": Role.COUNTY_OPERATOR}
    assert client.post("/admin/core/user/add/", form).status_code == 200  # no region: refused
    assert client.post("/admin/core/user/add/", {**form, "region": "652324"}).status_code == 200
    assert client.post("/admin/core/user/add/", {**form, "region": "652323"}).status_code == 302
    assert User.objects.get(username="new-op").region_id == "652323"


def test_only_an_unbounded_superuser_grants_superuser_rights(client, make_user):
    target = make_user("someone", "652323", role=Role.TOWNSHIP_VIEWER)
    root = User.objects.create_superuser("root", "root@example.org", "x-Secret-2026")
    client.force_login(root)
    assert 'name="is_superuser"' in client.get(f"/admin/core/user/{target.pk}/change/").content.decode()


def test_roles_without_admin_work_are_refused_at_the_door(client, make_user):
    for role in (Role.WINDOW_CLERK, Role.GRID_WORKER, Role.TOWNSHIP_VIEWER, Role.MAINTENANCE_WORKER):
        client.force_login(make_user(f"u-{role}", "652323", role=role))
        assert client.get("/admin/").status_code == 403, role


def test_rule_tables_are_changed_only_by_instance_wide_administrators(client, make_user):
    """Issue categories apply to every county: a county's community worker reads them, the prefecture edits."""
    county = make_user("county-worker", "652328", role=Role.COMMUNITY_WORKER)
    prefecture = make_user("pref-worker", "652300", role=Role.COMMUNITY_WORKER)
    client.force_login(county)
    assert client.get("/admin/community/issuecategory/").status_code == 200
    assert client.get("/admin/community/issuecategory/add/").status_code == 403
    client.force_login(prefecture)
    assert client.get("/admin/community/issuecategory/add/").status_code == 200


def test_the_checks_refuse_an_admin_outside_the_policy_or_the_scope():
    class Plain(admin.ModelAdmin):
        pass

    class Unscoped(PolicyAdmin):
        read_permission = "water.registry.read"

    class Scoped(RegionScopedAdmin):
        read_permission = "water.registry.read"

    site = admin.AdminSite()
    codes = [e.id for e in admin_errors({Well: Plain(Well, site)})]
    assert codes == ["changji.E001", "changji.E002"]
    assert [e.id for e in admin_errors({Well: Unscoped(Well, site)})] == ["changji.E002"]
    assert admin_errors({Well: Scoped(Well, site)}) == []
    assert admin_errors(admin.site._registry) == []  # every admin of the platform passes


def test_odd_admin_parameters_are_refused_not_failed(client, county_admin, make_user):
    """An empty ``_to_field`` and selected ids that are not ids get an answer, never a 500."""
    viewer = make_user("hutubi-viewer", "652323", role=Role.TOWNSHIP_VIEWER)
    client.force_login(county_admin)
    client.raise_request_exception = False
    assert client.get(f"/admin/core/user/{viewer.pk}/change/?_to_field=").status_code == 200
    assert client.get(f"/admin/core/user/{viewer.pk}/delete/?_to_field=").status_code == 200
    response = client.post("/admin/core/user/", {"action": "delete_selected", "_selected_action": ["²", "x"]})
    assert response.status_code == 302
    assert User.objects.filter(pk=viewer.pk).exists()
