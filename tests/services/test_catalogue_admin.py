"""The catalogue administrator's service and API: departments, materials, items, bundle versions (issue 17).

A 政务服务中心管理员 of 阜康市 (652302) builds a catalogue through ``/api/services/catalogue/`` — a department, two
materials (one conditional), an item, a bundle — is refused publishing while a condition names nothing the bundle
asks, publishes, cannot edit the published version, makes v2 effective tomorrow (the daily job withdraws v1 that
day), and a case filed on v1 keeps v1's form and materials. A county admin of 昌吉市 (652301) sees none of it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from changji.core.jobs import Runner
from changji.core.localtime import SHANGHAI
from changji.core.models import ApiToken, AuditEntry
from changji.services import bundles, cases, catalogue_admin, definitions
from changji.services.catalogue import CatalogueError, current_bundles
from changji.services.models import Bundle, BundleStatus, CatalogueMaterial, Department, Item

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(make_user):
    return make_user("fk-catalogue", "652302", role="service_centre_admin")


@pytest.fixture
def api(client, admin):
    """JSON calls as the admin: ``api("post", path, body)`` → response."""
    headers = _bearer(admin)

    def call(method: str, path: str, body=None, **extra):
        data = json.dumps(body) if body is not None else ""
        return client.generic(method.upper(), f"/api/services/catalogue/{path}", data,
                              content_type="application/json", **{**headers, **extra})

    return call


ITEM = {
    "code": "FK-WX-001", "name": "机动车维修经营备案", "department": "652302-JT", "legal_basis": "《道路运输条例》",
    "statutory_limit_days": 5, "promised_limit_days": 1, "fee_yuan": "0", "instant": True,
    "inspection_required": True, "inspection_limit_days": 2, "result_type": "filing",
    "result_name": "机动车维修经营备案证明",
    "form_fields": [{"name": "shop_name", "label": "维修厂名称"},
                    {"name": "plate_count", "label": "工位数", "kind": "number", "required": False}],
    "materials": [{"code": "FK-M-ID", "required": True},
                  {"code": "FK-M-LEASE", "condition": {"field": "rented", "equals": True}}],
}


def _catalogue(api, reviewer: str = "fk-reviewer") -> None:
    assert api("post", "departments", {"code": "652302-JT", "name": "交通运输局", "reviewers": [reviewer]}
               ).status_code == 201
    for code, name in (("FK-M-ID", "营业执照"), ("FK-M-LEASE", "场地租赁合同")):
        assert api("post", "materials", {"code": code, "name": name, "original_required": code == "FK-M-ID"}
                   ).status_code == 201
    response = api("post", "items", ITEM)
    assert response.status_code == 201, response.content.decode()


def _bundle(api, questions=()) -> dict:
    response = api("post", "bundles", {
        "code": "FK-YJS-WX", "name": "开办机动车维修店一件事", "category": "transport",
        "lead_department": "652302-JT", "questions": list(questions),
        "items": [{"item": "FK-WX-001", "position": 1}]})
    assert response.status_code == 201, response.content.decode()
    return response.json()


RENTED = {"name": "rented", "label": "场地是否租赁", "kind": "bool", "required": False}


def test_the_admin_builds_a_catalogue_and_publishing_checks_the_definition(api, make_user):
    make_user("fk-reviewer", "652302", role="department_reviewer")
    _catalogue(api)
    department = Department.objects.get(code="652302-JT")
    assert (department.region_id, list(department.reviewers.values_list("username", flat=True))) == (
        "652302", ["fk-reviewer"])
    item = Item.objects.get(code="FK-WX-001")
    assert item.materials[0] == {"code": "FK-M-ID", "name": "营业执照", "required": True, "original": True}
    assert (item.instant, item.inspection_required, item.result_type) == (True, True, "filing")

    draft = _bundle(api)  # no question "rented": the lease's condition names nothing the bundle asks
    assert (draft["version"], draft["status"], draft["current"]) == (1, "draft", False)
    refused = api("post", f"bundles/{draft['id']}/publish", {"effective_on": f"{timezone.localdate():%Y-%m-%d}"})
    assert refused.status_code == 400
    assert "rented" in refused.json()["detail"]["items"][0]
    assert Bundle.objects.get(pk=draft["id"]).status == BundleStatus.DRAFT

    body = {"name": "开办机动车维修店一件事", "category": "transport", "lead_department": "652302-JT",
            "questions": [RENTED], "items": [{"item": "FK-WX-001", "position": 1}]}
    assert api("put", f"bundles/{draft['id']}", body).status_code == 200
    published = api("post", f"bundles/{draft['id']}/publish", {"effective_on": f"{timezone.localdate():%Y-%m-%d}"})
    assert published.status_code == 200, published.content.decode()
    assert (published.json()["status"], published.json()["current"]) == ("published", True)
    bundle = Bundle.objects.get(pk=draft["id"])
    materials = bundles.required_materials(definitions.definition_of(bundle), {"rented": True})
    assert [m.code for m in materials] == ["FK-M-ID", "FK-M-LEASE"]
    assert [m.code for m in bundles.required_materials(definitions.definition_of(bundle), {})] == ["FK-M-ID"]

    # A published version is read-only (API and service); its definition stays frozen.
    assert api("put", f"bundles/{draft['id']}", body).status_code == 400
    with pytest.raises(CatalogueError):
        catalogue_admin.update_bundle("system", bundle, body)
    actions = set(AuditEntry.objects.filter(action__startswith="services.catalogue.").values_list("action", flat=True))
    assert {"services.catalogue.department.create", "services.catalogue.material.create",
            "services.catalogue.item.create", "services.catalogue.bundle.create", "services.catalogue.bundle.update",
            "services.catalogue.bundle.publish"} <= actions
    update = AuditEntry.objects.get(action="services.catalogue.bundle.update")
    assert update.detail["before"]["questions"] == [] and update.detail["after"]["questions"][0]["name"] == "rented"


def test_a_new_version_takes_effect_on_its_day_and_cases_keep_their_version(api, make_user):
    clerk = make_user("fk-clerk", "652302", role="window_clerk")
    make_user("fk-reviewer", "652302", role="department_reviewer")
    _catalogue(api)
    v1 = _bundle(api, [RENTED])
    today = timezone.localdate()
    assert api("post", f"bundles/{v1['id']}/publish", {}).status_code == 200
    bundle_v1 = Bundle.objects.get(pk=v1["id"])
    case = cases.submit(bundle_v1, cases.Applicant("enterprise", "阜康市某汽修厂", USCC), "window",
                        {"rented": True, "shop_name": "某汽修厂"}, {"FK-M-ID": ("id.pdf", PDF)}, by=clerk)
    assert cases.missing_for(case) == ["材料：场地租赁合同"]

    # The item changes: a new field, the lease no longer asked. v1's cases do not see it.
    changed = {**ITEM, "form_fields": [*ITEM["form_fields"], {"name": "licence_no", "label": "许可证号"}],
               "materials": ITEM["materials"][:1]}
    response = api("put", "items/FK-WX-001", changed)
    assert response.status_code == 200 and response.json()["published_bundles"] == ["FK-YJS-WX v1"]
    v2 = api("post", f"bundles/{v1['id']}/new-version")
    assert v2.status_code == 201 and v2.json()["version"] == 2
    tomorrow = today + timedelta(days=1)
    past = api("post", f"bundles/{v2.json()['id']}/publish", {"effective_on": f"{today - timedelta(days=1)}"})
    assert past.status_code == 400 and "effective_on" in past.json()["detail"]
    assert api("post", f"bundles/{v2.json()['id']}/publish", {"effective_on": f"{tomorrow}"}).status_code == 200
    assert set(current_bundles(today).filter(code="FK-YJS-WX").values_list("version", flat=True)) == {1}

    runner = Runner(names=["services.catalogue.supersede"])
    [today_run] = runner.run_due(datetime.combine(today, datetime.min.time(), SHANGHAI) + timedelta(hours=9))
    assert today_run.result == {"withdrawn": 0}
    [outcome] = runner.run_due(datetime.combine(tomorrow, datetime.min.time(), SHANGHAI) + timedelta(hours=1))
    assert outcome.result == {"withdrawn": 1}
    bundle_v1.refresh_from_db()
    assert bundle_v1.status == BundleStatus.WITHDRAWN

    case.refresh_from_db()
    assert case.bundle_id == bundle_v1.pk
    assert cases.missing_for(case) == ["材料：场地租赁合同"]  # v1's materials, frozen
    assert "licence_no" not in definitions.question_labels(case.bundle)
    v2_bundle = Bundle.objects.get(pk=v2.json()["id"])
    assert "licence_no" in definitions.question_labels(v2_bundle)
    assert [m.code for m in bundles.required_materials(definitions.definition_of(v2_bundle), {"rented": True})] == [
        "FK-M-ID"]


def test_another_countys_admin_sees_and_changes_nothing(api, client, make_user):
    make_user("fk-reviewer", "652302", role="department_reviewer")
    _catalogue(api)
    draft = _bundle(api, [RENTED])
    outsider = _bearer(make_user("cj-catalogue", "652301", role="service_centre_admin"))
    for path in ("departments", "materials", "items", "bundles"):
        response = client.get(f"/api/services/catalogue/{path}", **outsider)
        assert response.status_code == 200 and response.json() == [], path
    before = AuditEntry.objects.count()
    for method, path, body in (
            ("put", "departments/652302-JT", {"code": "652302-JT", "name": "改名"}),
            ("put", "materials/FK-M-ID", {"code": "FK-M-ID", "name": "改名"}),
            ("put", "items/FK-WX-001", ITEM),
            ("put", f"bundles/{draft['id']}", {"name": "x", "category": "transport", "lead_department": "652302-JT"}),
            ("post", f"bundles/{draft['id']}/publish", {}),
            ("post", f"bundles/{draft['id']}/withdraw", {"reason": "x"})):
        response = client.generic(method.upper(), f"/api/services/catalogue/{path}", json.dumps(body),
                                  content_type="application/json", **outsider)
        assert response.status_code == 404, (path, response.status_code)
    # Creating with the other county's department, or for its region, is refused too.
    made = client.post("/api/services/catalogue/items", json.dumps({**ITEM, "code": "CJ-1"}),
                       content_type="application/json", **outsider)
    assert made.status_code == 400 and "department" in made.json()["detail"]
    region = client.post("/api/services/catalogue/departments", json.dumps({"code": "X1", "name": "x",
                                                                            "region": "652302"}),
                         content_type="application/json", **outsider)
    assert region.status_code == 400
    assert AuditEntry.objects.count() == before
    assert Department.objects.get(code="652302-JT").name == "交通运输局"


@pytest.mark.parametrize(("change", "field"), [
    ({"promised_limit_days": 6}, "promised_limit_days"),
    ({"department": "NOPE"}, "department"),
    ({"materials": [{"code": "FK-M-ID", "condition": {"field": "rented"}}]}, "materials"),
    ({"materials": [{"code": "FK-M-ID", "condition": {"field": "rented", "in": "x"}}]}, "materials"),
    ({"materials": [{"code": "FK-M-ID", "condition": {"field": ["x"], "equals": 1}}]}, "materials"),
    ({"form_fields": [{"name": "k", "label": "x", "condition": {"field": "rented", "equals": {"a": 1}}}]},
     "form_fields"),
    ({"materials": [{"code": "UNKNOWN"}]}, "materials"),
    ({"form_fields": [{"name": "选择", "label": "x"}]}, "form_fields"),
    ({"form_fields": [{"name": "k", "label": "x", "kind": "choice"}]}, "form_fields"),
    ({"fee_yuan": "-1"}, None),
    ({"code": "a b"}, None),
])
def test_hostile_items_are_refused_with_400_and_nothing_changes(api, change, field):
    _catalogue(api, reviewer="")
    before = (AuditEntry.objects.count(), Item.objects.get(code="FK-WX-001").form_fields)
    response = api("put", "items/FK-WX-001", {**ITEM, **change})
    assert response.status_code in (400, 422), response.content.decode()
    if field is not None:
        assert response.status_code == 400 and field in response.json()["detail"], response.json()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"][field][0])  # said in Chinese
    assert (AuditEntry.objects.count(), Item.objects.get(code="FK-WX-001").form_fields) == before


def test_hostile_bundles_and_conditions_are_refused(api):
    _catalogue(api, reviewer="")
    draft = _bundle(api)
    body = {"name": "x", "category": "transport", "lead_department": "652302-JT", "items": [
        {"item": "FK-WX-001", "condition": {"field": "rented", "equals": True, "drop": "table"}}]}
    response = api("put", f"bundles/{draft['id']}", body)
    assert response.status_code == 400 and "条件格式" in response.json()["detail"]["items"][0]
    for bad in ({**body, "lead_department": "NOPE", "items": []}, {**body, "items": [{"item": "NOPE"}]}):
        assert api("put", f"bundles/{draft['id']}", bad).status_code == 400
    assert api("post", f"bundles/{draft['id']}/publish", {"effective_on": "2026-02-30"}).status_code in (400, 422)
    assert api("post", f"bundles/{draft['id']}/withdraw", {"reason": "x"}).status_code == 400  # a draft
    assert api("post", f"bundles/{draft['id']}/new-version").status_code == 400
    assert api("post", "bundles/999999/publish", {}).status_code == 404


def test_templates_are_checked_by_content_and_downloaded_publicly(client, admin):
    material = catalogue_admin.save_material(admin, None, code="FK-M-T", name="申请表",
                                             template=catalogue_admin.Upload("申请表.pdf", PDF))
    with pytest.raises(CatalogueError) as refused:
        catalogue_admin.save_material(admin, material, code="FK-M-T", name="申请表",
                                      example=catalogue_admin.Upload("x.pdf", b"MZ\x90\x00 not a pdf"))
    assert refused.value.field == "example" and "PDF" in refused.value.message
    response = client.get("/services/materials/FK-M-T/template/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert client.get("/services/materials/FK-M-T/example/").status_code == 404
    assert client.get("/services/materials/NOPE/template/").status_code == 404
    assert CatalogueMaterial.objects.get(code="FK-M-T").template.name.endswith(".pdf")


def test_the_supersede_job_is_registered_daily():
    from changji.core import jobs
    from changji.core.jobs import Period

    assert jobs.registry.get("services.catalogue.supersede").period == Period.DAILY
