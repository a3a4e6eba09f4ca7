"""The community admin is region scoped and masks identity numbers; a 乡镇查看员 looks but changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from changji.community.models import CoBuildingUnit, Resident
from changji.core.models import AuditEntry, Role

pytestmark = pytest.mark.django_db


def test_admin_lists_only_the_administrators_region_and_masks_identity_numbers(client, community_world, make_user):
    w = community_world
    Resident.objects.create(household=w.household, region=w.grid_c.region, name="西城居民",
                            id_number="652328198805051236")
    admin = make_user("east-admin", w.east.code, role=Role.COMMUNITY_WORKER, is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/community/resident/").content.decode()
    assert "张三" in page and "西城居民" not in page
    assert "652328********1234" in page and "652328199001011234" not in page
    change = client.get(f"/admin/community/resident/{w.zhang.pk}/change/").content.decode()
    assert "652328199001011234" not in change and "652328********1234" in change
    foreign = Resident.objects.get(name="西城居民")
    assert client.get(f"/admin/community/resident/{foreign.pk}/change/").status_code == 302  # not found → redirect


def test_care_tags_are_ticked_in_the_admin_and_odd_values_are_form_errors(client, community_world, make_user):
    w = community_world
    client.force_login(make_user("tags-admin", None, is_staff=True, is_superuser=True))
    url = f"/admin/community/resident/{w.li.pk}/change/"
    form = {"household": w.household.pk, "region": w.grid_a.region_id, "name": "李四", "phone": "13987654321",
            "gender": "", "birth_date": ""}
    for odd in ("1e309", "[1]", "NaN", "other"):
        assert client.post(url, {**form, "care_tags": odd}).status_code == 200  # the form again, with its error
    assert client.post(url, {**form}).status_code == 302  # none ticked: an empty list, not NULL
    w.li.refresh_from_db()
    assert w.li.care_tags == []
    assert client.post(url, {**form, "care_tags": ["veteran", "low_income"]}).status_code == 302
    w.li.refresh_from_db()
    assert sorted(w.li.care_tags) == ["low_income", "veteran"]


def test_a_township_viewer_sees_the_pages_but_every_post_is_refused(client, community_world, make_user):
    viewer = make_user("viewer", community_world.town.code, role=Role.TOWNSHIP_VIEWER)
    client.force_login(viewer)
    assert client.get("/community/members/units/").status_code == 200
    before = (AuditEntry.objects.count(), CoBuildingUnit.objects.count())
    response = client.post("/community/members/units/", {
        "action": "register_unit", "community": community_world.east.code, "name": "查看员单位",
        "contact_name": "x", "contact_phone": "13900000000", "registered_on": date.today().isoformat()})
    assert response.status_code == 403
    assert (AuditEntry.objects.count(), CoBuildingUnit.objects.count()) == before
