"""The catalogue administrator's pages (``/services/admin/``): forms, formsets, versions, refusals, scope."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from changji.core.models import AuditEntry
from changji.services.models import Bundle, BundleStatus, CatalogueMaterial, Department, Item

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def _formset(prefix: str, rows: list[dict], initial: int = 0) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "100"}
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
    return data


@pytest.fixture
def admin(client, make_user):
    user = make_user("fk-catalogue", "652302", role="service_centre_admin")
    client.force_login(user)
    return user


@pytest.fixture
def catalogue(admin, make_user):
    """A department with a reviewer, a clerk to delegate to, and two catalogue materials."""
    from changji.services import catalogue_admin

    make_user("fk-reviewer", "652302", role="department_reviewer")
    make_user("fk-clerk", "652302", role="window_clerk")
    catalogue_admin.save_department(admin, None, code="652302-JT", name="交通运输局")
    for code, name in (("FK-M-ID", "营业执照"), ("FK-M-LEASE", "场地租赁合同")):
        catalogue_admin.save_material(admin, None, code=code, name=name)


ITEM = {"code": "FK-WX-001", "name": "机动车维修经营备案", "department": "652302-JT", "legal_basis": "条例",
        "statutory_limit_days": "5", "promised_limit_days": "1", "fee_yuan": "0", "verification_days": "20",
        "instant": "on", "inspection_limit_days": "2", "result_type": "filing", "result_name": "备案证明"}
FIELDS = [{"name": "shop_name", "label": "维修厂名称", "kind": "text", "required": "on"},
          {"name": "rented", "label": "场地是否租赁", "kind": "bool"}]
MATERIALS = [{"code": "FK-M-ID", "required": "on"},
             {"code": "FK-M-LEASE", "required": "on", "cond_field": "rented", "cond_op": "equals", "cond_values": "是"}]


def _item_post(**change) -> dict[str, str]:
    return {**ITEM, **_formset("fields", FIELDS), **_formset("materials", MATERIALS), **change}


def test_pages_need_the_catalogue_permission(client, make_user, catalogue):
    for name in ("departments", "materials", "items", "bundles"):
        assert client.get(f"/services/admin/{name}/").status_code == 200
    client.force_login(make_user("fk-clerk-2", "652302", role="window_clerk"))
    for name in ("departments", "materials", "items", "bundles"):
        assert client.get(f"/services/admin/{name}/").status_code == 403


def test_departments_get_reviewers_and_window_delegates(client, catalogue):
    response = client.post("/services/admin/departments/", {"new-code": "652302-WS", "new-name": "卫生健康委"})
    assert response.status_code == 302 and response["Location"] == "/services/admin/departments/652302-WS/"
    page = client.get("/services/admin/departments/652302-JT/").content.decode()
    assert "fk-reviewer" in page and "fk-clerk" in page
    response = client.post("/services/admin/departments/652302-JT/", {
        "code": "652302-JT", "name": "交通运输局", "reviewers": ["fk-reviewer"], "window_delegates": ["fk-clerk"]})
    assert response.status_code == 302
    department = Department.objects.get(code="652302-JT")
    assert list(department.window_delegates.values_list("username", flat=True)) == ["fk-clerk"]
    # a clerk is not a reviewer: the choice is refused, nothing changes
    response = client.post("/services/admin/departments/652302-JT/", {
        "code": "652302-JT", "name": "交通运输局", "reviewers": ["fk-clerk"]})
    assert response.status_code == 400
    assert list(department.reviewers.values_list("username", flat=True)) == ["fk-reviewer"]
    entry = AuditEntry.objects.filter(action="services.catalogue.department.update").get()
    assert entry.detail == {"before": {"reviewers": [], "window_delegates": []},
                            "after": {"reviewers": ["fk-reviewer"], "window_delegates": ["fk-clerk"]}}


def test_materials_take_a_template_checked_by_content(client, catalogue):
    response = client.post("/services/admin/materials/", {
        "new-code": "FK-M-FORM", "new-name": "备案表", "new-source": "申请人自备",
        "new-template": SimpleUploadedFile("备案表.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    assert client.get("/services/materials/FK-M-FORM/template/").status_code == 200
    response = client.post("/services/admin/materials/FK-M-FORM/", {
        "code": "FK-M-FORM", "name": "备案表",
        "example": SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", content_type="application/pdf")})
    assert response.status_code == 400 and "文件类型不支持" in response.content.decode()
    assert not CatalogueMaterial.objects.get(code="FK-M-FORM").example


def test_an_item_with_formsets_and_its_refusals(client, catalogue):
    response = client.post("/services/admin/items/", _item_post())
    assert response.status_code == 302, response.content.decode()
    item = Item.objects.get(code="FK-WX-001")
    assert [f["name"] for f in item.form_fields] == ["shop_name", "rented"]
    assert item.materials[1] == {"code": "FK-M-LEASE", "name": "场地租赁合同", "required": True,
                                 "condition": {"field": "rented", "equals": True}}
    page = client.get("/services/admin/items/FK-WX-001/").content.decode()
    assert 'value="rented"' in page and "是" in page
    for change in ({"promised_limit_days": "6"},
                   _formset("materials", [{**MATERIALS[1], "cond_op": "equals", "cond_values": "是、否"}]),
                   _formset("materials", [{**MATERIALS[1], "cond_op": ""}]),
                   _formset("fields", [{"name": "选址", "label": "x", "kind": "text"}]),
                   {"department": "NOPE"}):
        response = client.post("/services/admin/items/FK-WX-001/", _item_post(**change))
        assert response.status_code == 400, change
    item.refresh_from_db()
    assert len(item.materials) == 2 and item.promised_limit_days == 1
    # removing a row: DELETE
    rows = _formset("materials", [MATERIALS[0], {**MATERIALS[1], "DELETE": "on"}], initial=2)
    assert client.post("/services/admin/items/FK-WX-001/", _item_post(**rows)).status_code == 302
    item.refresh_from_db()
    assert [m["code"] for m in item.materials] == ["FK-M-ID"]


def _bundle_post(shown: int = 0, **change) -> dict[str, str]:
    """The draft's form as posted; ``shown``: the item rows the page showed (the formset's initial forms)."""
    return {"action": "save", "name": "开办机动车维修店一件事", "category": "transport",
            "lead_department": "652302-JT", "online_allowed": "on", **_formset("questions", []),
            **_formset("items", [{"item": "FK-WX-001", "position": "1"}], initial=shown), **change}


def test_a_bundle_from_draft_to_published_and_new_version(client, catalogue):
    assert client.post("/services/admin/items/", _item_post(**_formset("fields", FIELDS[:1]))).status_code == 302
    response = client.post("/services/admin/bundles/", {
        "new-code": "FK-YJS-WX", "new-name": "开办机动车维修店一件事", "new-category": "transport",
        "new-lead_department": "652302-JT"})
    assert response.status_code == 302
    draft = Bundle.objects.get(code="FK-YJS-WX")
    url = f"/services/admin/bundles/{draft.pk}/"
    assert response["Location"] == url
    assert client.post(url, _bundle_post()).status_code == 302
    today = f"{timezone.localdate():%Y-%m-%d}"
    refused = client.post(url, {"action": "publish", "publish-effective_on": today})
    page = refused.content.decode()
    assert refused.status_code == 400 and 'id="publish-errors"' in page and "rented" in page
    assert Bundle.objects.get(pk=draft.pk).status == BundleStatus.DRAFT
    question = [{"name": "rented", "label": "场地是否租赁", "kind": "bool"}]
    assert client.post(url, _bundle_post(shown=1, **_formset("questions", question))).status_code == 302
    published = client.post(url, {"action": "publish", "publish-effective_on": today})
    assert published.status_code == 302, published.content.decode()
    draft.refresh_from_db()
    assert draft.status == BundleStatus.PUBLISHED and draft.definition["questions"][0]["name"] == "rented"
    page = client.get(url).content.decode()
    assert 'id="frozen-definition"' in page and "rented 等于 是" in page and 'id="form-save"' not in page
    refused = client.post(url, _bundle_post(name="改名"))
    assert refused.status_code == 400 and "只读" in refused.content.decode()
    assert Bundle.objects.get(pk=draft.pk).name == "开办机动车维修店一件事"
    item_page = client.get("/services/admin/items/FK-WX-001/").content.decode()
    assert 'id="published-warning"' in item_page and "FK-YJS-WX 第 1 版" in item_page
    listing = client.get("/services/admin/bundles/").content.decode()
    assert 'id="bundle-FK-YJS-WX-v1"' in listing and "当前" in listing
    response = client.post(url, {"action": "new_version"})
    assert response.status_code == 302
    v2 = Bundle.objects.get(code="FK-YJS-WX", version=2)
    assert response["Location"] == f"/services/admin/bundles/{v2.pk}/" and v2.status == BundleStatus.DRAFT
    assert client.post(url, {"action": "withdraw", "withdraw-reason": "事项调整"}).status_code == 302
    assert Bundle.objects.get(pk=draft.pk).status == BundleStatus.WITHDRAWN


def test_another_countys_admin_gets_404(client, make_user, catalogue):
    client.post("/services/admin/items/", _item_post())
    from changji.services import catalogue_admin

    admin = make_user("fk-admin-2", "652302", role="service_centre_admin")
    bundle = catalogue_admin.create_bundle(admin, {"code": "FK-B", "name": "x", "category": "transport",
                                                   "lead_department": "652302-JT"})
    client.force_login(make_user("cj-catalogue", "652301", role="service_centre_admin"))
    for url in ("departments/652302-JT/", "materials/FK-M-ID/", "items/FK-WX-001/", f"bundles/{bundle.pk}/"):
        assert client.get(f"/services/admin/{url}").status_code == 404, url
        assert client.post(f"/services/admin/{url}", {"action": "publish"}).status_code == 404, url
    listing = client.get("/services/admin/items/").content.decode()
    assert "FK-WX-001" not in listing and "652302-JT" not in listing


def test_odd_codes_in_the_path_are_404(client, catalogue):
    for url in ("/services/admin/items/%00/", "/services/admin/materials/a%20b/", "/services/materials/%00/template/",
                "/services/admin/departments/" + "x" * 100 + "/"):
        assert client.get(url).status_code in (400, 404), url  # NUL: the 400 of core.params, before any view
