"""The catalogue administrator in chromium: an item with a conditional material, a bundle, published, public.

The 政务服务中心管理员 of 阜康市 adds the item 机动车维修经营备案 on the items page (one form field, two materials
from the 材料目录, the second — the lease — only when the premises are rented, added with “添加一行”), composes a
bundle of it with the question that decides the lease, publishes it today and finds it on the public catalogue.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def catalogue(settings, tmp_path, make_user):
    from changji.services import catalogue_admin

    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_user("fk-catalogue", "652302", role="service_centre_admin")
    catalogue_admin.save_department(admin, None, code="652302-JT", name="交通运输局")
    for code, name in (("FK-M-ID", "营业执照"), ("FK-M-LEASE", "场地租赁合同")):
        catalogue_admin.save_material(admin, None, code=code, name=name)
    return admin


def test_an_item_and_a_bundle_are_published_to_the_public_catalogue(page, sign_in, catalogue, shot):
    from changji.services.models import Bundle, Item

    sign_in(page, "fk-catalogue", "/services/admin/items/")
    form = page.locator("#item-form")
    form.locator("input[name=code]").fill("FK-WX-001")
    form.locator("input[name=name]").fill("机动车维修经营备案")
    form.locator("select[name=department]").select_option("652302-JT")
    form.locator("input[name=statutory_limit_days]").fill("5")
    form.locator("input[name=promised_limit_days]").fill("1")
    form.locator("input[name=instant]").check()
    form.locator("select[name=result_type]").select_option("filing")
    form.locator("input[name=result_name]").fill("机动车维修经营备案证明")
    form.locator("input[name='fields-0-name']").fill("shop_name")
    form.locator("input[name='fields-0-label']").fill("维修厂名称")
    form.locator("input[name='fields-0-required']").check()
    form.locator("select[name='materials-0-code']").select_option("FK-M-ID")
    form.locator("input[name='materials-0-required']").check()
    materials = form.locator(".formset[data-prefix=materials]")
    materials.locator(".formset-add").click()  # a third row, by services/formset.js
    form.locator("select[name='materials-2-code']").select_option("FK-M-LEASE")
    form.locator("input[name='materials-2-required']").check()
    form.locator("input[name='materials-2-cond_field']").fill("rented")
    form.locator("select[name='materials-2-cond_op']").select_option("equals")
    form.locator("input[name='materials-2-cond_values']").fill("是")
    shot(page, "catalogue-admin-item")
    form.locator("button[type=submit]", has_text="保存事项").click()
    page.wait_for_url("**/services/admin/items/FK-WX-001/")
    item = Item.objects.get(code="FK-WX-001")
    assert item.materials[-1]["condition"] == {"field": "rented", "equals": True}

    page.goto("/services/admin/bundles/")
    create = page.locator("#bundle-create-form")
    create.locator("input[name=new-code]").fill("FK-YJS-WX")
    create.locator("input[name=new-name]").fill("开办机动车维修店一件事")
    create.locator("select[name=new-category]").select_option("transport")
    create.locator("select[name=new-lead_department]").select_option("652302-JT")
    create.locator("button[type=submit]").click()
    page.wait_for_selector("#form-save")
    save = page.locator("#form-save")
    save.locator("input[name=online_allowed]").check()
    save.locator("input[name='questions-0-name']").fill("rented")
    save.locator("input[name='questions-0-label']").fill("经营场地是否租赁")
    save.locator("select[name='questions-0-kind']").select_option("bool")
    save.locator("select[name='items-0-item']").select_option("FK-WX-001")
    save.locator("input[name='items-0-position']").fill("1")
    save.locator("button[type=submit]").click()
    page.wait_for_selector("#form-publish")
    page.fill("#form-publish input[name=publish-effective_on]", f"{timezone.localdate():%Y-%m-%d}")
    page.click("#form-publish button[type=submit]")
    page.wait_for_selector("#frozen-definition")
    assert page.inner_text("#bundle-status") == "已发布"
    assert "rented 等于 是" in page.inner_text("#frozen-definition")
    shot(page, "catalogue-admin-bundle")
    assert Bundle.objects.get(code="FK-YJS-WX").status == "published"

    page.context.clear_cookies()
    page.goto("/services/")
    entry = page.locator("#bundle-FK-YJS-WX")
    assert "开办机动车维修店一件事" in entry.inner_text()
    assert "机动车维修经营备案" in entry.inner_text() and "场地租赁合同" in entry.inner_text()
    shot(page, "catalogue-admin-public")
