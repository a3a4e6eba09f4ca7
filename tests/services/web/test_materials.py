"""Who may download an applicant's material (services.materials).

The window of the region; a reviewer only the materials of their own department's items, and only once the case
is accepted. Everything else is 404, so walking the ids of the county's materials finds nothing.
"""

from __future__ import annotations

import pytest

from changji.services import cases

pytestmark = pytest.mark.django_db


def _material(case, code):
    return case.materials.get(code=code)


def test_a_reviewer_reads_only_their_items_materials_of_accepted_cases(client, submitted, clerk, reviewers):
    url = "/services/materials/{}/"
    cgj, scjg = reviewers["CGJ"], reviewers["SCJG"]
    client.force_login(cgj)
    assert client.get(url.format(_material(submitted, "sign_design").pk)).status_code == 404  # not accepted yet
    cases.accept(submitted, clerk)
    assert client.get(url.format(_material(submitted, "sign_design").pk)).status_code == 200
    assert client.get(url.format(_material(submitted, "lease").pk)).status_code == 200  # shared by both items
    for code in ("articles", "layout", "food_safety", "id"):  # 市场监管's items only
        assert client.get(url.format(_material(submitted, code).pk)).status_code == 404, code
    client.force_login(scjg)
    assert client.get(url.format(_material(submitted, "articles").pk)).status_code == 200
    assert client.get(url.format(_material(submitted, "sign_design").pk)).status_code == 404


def test_walking_the_ids_finds_nothing_for_a_reviewer_of_another_department(client, submitted, clerk, make_user):
    from changji.services.models import Department, Material

    cases.accept(submitted, clerk)
    stranger = make_user("fk-reviewer-other", "652302", role="department_reviewer")
    Department.objects.create(code="652302-ZJJ", name="住建局", region_id="652302").reviewers.add(stranger)
    client.force_login(stranger)
    ids = list(Material.objects.values_list("pk", flat=True))
    assert ids and all(client.get(f"/services/materials/{pk}/").status_code == 404 for pk in ids)
    assert client.get(f"/services/materials/{max(ids) + 1}/").status_code == 404


def test_the_window_reads_every_material_of_its_region(client, submitted, clerk, make_user):
    client.force_login(clerk)
    for material in submitted.materials.all():
        response = client.get(f"/services/materials/{material.pk}/")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    other_clerk = make_user("cj-clerk", "652301", role="window_clerk")
    client.force_login(other_clerk)
    assert client.get(f"/services/materials/{submitted.materials.first().pk}/").status_code == 404


def test_window_and_review_steps_belong_to_their_roles(submitted, clerk, reviewers):
    """The services check the actor (core.access), whichever door they use.

    A reviewer cannot accept at the window, a clerk cannot claim a department's sub-case.
    """
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        cases.accept(submitted, reviewers["SCJG"])
    sub = cases.accept(submitted, clerk)[0]
    with pytest.raises(PermissionDenied):
        cases.claim(sub, clerk)
    assert cases.claim(sub, reviewers[sub.department.code.split("-")[1]]).state == "claimed"
