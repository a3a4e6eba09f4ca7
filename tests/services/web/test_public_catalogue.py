"""The public catalogue page ``/services/`` and ``GET /api/services/bundles``, from the frozen definitions.

Categories, search, what to bring, how long, which departments, online or at the window; no query per bundle.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from changji.services.catalogue import new_version, publish
from changji.services.models import Bundle, BundleCategory, BundleItem, BundleStatus, Department, Item

pytestmark = pytest.mark.django_db

#: The five bundles the expectations below are written for.
FIVE = ("YJS-CY", "YJS-LS", "YJS-MR", "YJS-ZL", "YJS-YH")


@pytest.fixture(autouse=True)
def five_bundles(restaurant):
    """The demo catalogue's other 84 bundles withdrawn, so the counts and searches below are exact."""
    Bundle.objects.exclude(code__in=FIVE).update(status=BundleStatus.WITHDRAWN)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def section(html: str, code: str) -> str:
    """The text of one bundle's card."""
    start = html.index(f'id="bundle-{code}"')
    end = html.find('<section class="card bundle"', start + 1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:end if end > 0 else len(html)]))


@pytest.fixture
def instant_licence(restaurant):
    """A new version of 开办房屋租赁中介一件事 whose only item (营业执照) is now 即办, and not online."""
    Item.objects.filter(code="SCJG-001").update(instant=True)
    draft = new_version(Bundle.objects.get(code="YJS-ZL", version=1), "admin")
    draft.online_allowed = False
    draft.save()
    return publish(draft, "admin")


def make_bundles(count: int, restaurant) -> None:
    """``count`` more published bundles in every category, each of the restaurant's items."""
    items = list(Item.objects.filter(code__in=["SCJG-001", "SCJG-002", "CGJ-001"]))
    categories = BundleCategory.values
    for n in range(count):
        draft = Bundle.objects.create(code=f"YJS-T{n:03d}", name=f"测试一件事{n}", category=categories[n % 5],
                                      region=restaurant.region, lead_department=restaurant.lead_department,
                                      status=BundleStatus.DRAFT)
        BundleItem.objects.bulk_create([BundleItem(bundle=draft, item=item, position=p)
                                        for p, item in enumerate(items)])
        publish(draft, "admin")


def test_bundles_by_category_with_what_to_bring_how_long_who_and_the_fee(client, restaurant):
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("批发零售类", "居民服务类", "租赁类", "食品加工类", "交通运输类"):
        assert label in html
    card = section(html, "YJS-CY")
    assert "办理时限： 承诺 5 个工作日" in card  # the longest promised limit of the items (食品经营许可, 户外招牌)
    assert "办理部门： 市场监督管理局、城市管理局" in card and "收费： 不收费" in card
    assert "法定代表人身份证明 必需" in card
    assert "招牌设计效果图 视情况 是否设置户外招牌为“是”时" in card  # the material of a conditional item
    assert "网上申请" in card and reverse("services:apply", args=[restaurant.pk]) in html
    assert html.count("经营场所使用证明") == 5  # once per bundle, however many of its items need it


def test_an_instant_bundle_is_finished_on_the_spot_and_one_not_online_says_come_to_the_window(client,
                                                                                            instant_licence):
    html = client.get(reverse("services:catalogue")).content.decode()
    card = section(html, "YJS-ZL")
    assert "办理时限： 当场办结" in card and "当场办结（即办）" in card and "第 2 版" in card
    assert "请到综合窗口办理" in card and "网上申请" not in card
    assert reverse("services:apply", args=[instant_licence.pk]) not in html
    assert "网上申请" in section(html, "YJS-CY")


@pytest.mark.parametrize(("query", "codes"), [
    ("q=餐馆", {"YJS-CY"}),
    ("q=yjs-mr", {"YJS-MR"}),  # the code, in any case
    ("q=公共场所卫生许可", {"YJS-MR"}),  # an item's name
    ("q=交通运输局", {"YJS-YH"}),  # a department's name
    ("q=城市管理局 便利店", {"YJS-LS"}),  # every word
    ("category=leasing", {"YJS-ZL"}),
    ("category=leasing&q=餐馆", set()),
])
def test_search_and_category(client, restaurant, query, codes):
    response = client.get(f"{reverse('services:catalogue')}?{query}")
    assert response.status_code == 200
    assert set(re.findall(r'id="bundle-([A-Z0-9-]+)"', response.content.decode())) == codes
    if not codes:
        assert "没有符合条件的一件事" in response.content.decode()


@pytest.mark.parametrize("query", ["category=nonsense", "q=" + "很长" * 30, "q=%00"])
def test_bad_parameters_are_a_400_in_chinese(client, restaurant, query):
    response = client.get(f"{reverse('services:catalogue')}?{query}")
    assert response.status_code == 400


def test_no_query_per_bundle(client, restaurant, django_assert_max_num_queries):
    make_bundles(40, restaurant)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    assert len(re.findall(r'class="card bundle"', response.content.decode())) == 45
    with django_assert_max_num_queries(6):
        listed = client.get("/api/services/bundles?limit=100")
    assert listed.json()["count"] == 45


def test_material_links_only_when_the_catalogue_has_a_template(client, restaurant, settings, tmp_path):
    from django.core.files.base import ContentFile

    from changji.services.models import CatalogueMaterial

    settings.MEDIA_ROOT = tmp_path
    material = CatalogueMaterial.objects.get(code="layout")  # in the demo's 材料目录, without files
    material.template.save("layout.docx", ContentFile(b"template"), save=True)
    html = client.get(reverse("services:catalogue")).content.decode()
    try:
        url = reverse("services:material_template", args=["layout"])
    except Exception:  # noqa: BLE001 - the template page is another part's; without it there is no link
        assert "空白模板" not in html
    else:
        assert url in html
    assert "填写示例" not in html


def test_the_api_lists_what_the_page_shows(client, restaurant, instant_licence):
    listed = client.get("/api/services/bundles").json()
    by_code = {b["code"]: b for b in listed["items"]}
    assert set(by_code) == {"YJS-CY", "YJS-LS", "YJS-MR", "YJS-ZL", "YJS-YH"}
    cy = by_code["YJS-CY"]
    assert (cy["category"], cy["category_label"], cy["version"], cy["effective_on"]) == \
        ("food_processing", "食品加工", 1, "2024-01-01")
    assert (cy["online_allowed"], cy["promised_limit_days"], cy["instant"], cy["fee_yuan"]) == (True, 5, False, 0)
    assert cy["departments"] == [{"code": "652302-SCJG", "name": "市场监督管理局"},
                                 {"code": "652302-CGJ", "name": "城市管理局"}]
    sign = next(m for m in cy["materials"] if m["code"] == "sign_design")
    assert (sign["required"], sign["condition"], sign["items"]) == (False, "是否设置户外招牌为“是”时",
                                                                    ["户外招牌设置许可"])
    assert next(m for m in cy["materials"] if m["code"] == "id")["condition"] == ""
    assert cy["items"][2]["condition"] == {"field": "outdoor_sign", "equals": True}
    zl = by_code["YJS-ZL"]
    assert (zl["version"], zl["online_allowed"], zl["instant"], zl["promised_limit_days"]) == (2, False, True, 0)
    assert zl["items"][0]["instant"] is True


@pytest.mark.parametrize(("query", "codes"), [
    ("q=餐馆", {"YJS-CY"}), ("q=卫生健康委员会", {"YJS-MR"}), ("category=transport", {"YJS-YH"}),
    ("category=transport&q=餐馆", set()),
])
def test_the_api_filters(client, restaurant, query, codes):
    response = client.get(f"/api/services/bundles?{query}")
    assert response.status_code == 200
    assert {b["code"] for b in response.json()["items"]} == codes


def test_the_api_refuses_bad_filters(client, restaurant):
    assert client.get("/api/services/bundles?category=nonsense").status_code == 422
    assert client.get("/api/services/bundles?q=" + "x" * 500).status_code == 422


def test_one_bundle_from_the_api_has_the_same_fields(client, restaurant):
    one = client.get(f"/api/services/bundles/{restaurant.pk}").json()
    assert one["promised_limit_days"] == 5 and one["departments"][0]["name"] == "市场监督管理局"
    Department.objects.filter(code="652302-CGJ").update(name="城市管理综合执法局")
    assert client.get(f"/api/services/bundles/{restaurant.pk}").json()["departments"][1]["name"] == \
        "城市管理综合执法局"
