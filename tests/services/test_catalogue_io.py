"""The catalogue as a workbook (services.catalogue_io): real XLSX files, round trips, row errors, versions, the demo."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from changji.core.api_auth import ApiToken
from changji.core.models import AuditEntry
from changji.services import catalogue_io, definitions
from changji.services.catalogue import current_bundles
from changji.services.catalogue_io import (
    BUNDLE_ITEMS,
    BUNDLES,
    DEPARTMENTS,
    FIELDS,
    ITEM_MATERIALS,
    ITEMS,
    MATERIALS,
    QUESTIONS,
    SHEETS,
)
from changji.services.conditions import ConditionSyntaxError, format_condition, parse_condition
from changji.services.models import Bundle, BundleCategory, BundleStatus, CatalogueMaterial, Department, Item

# --- the condition syntax (pure) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "condition"), [
    ("outdoor_sign = 是", {"field": "outdoor_sign", "equals": True}),
    ("outdoor_sign = 否", {"field": "outdoor_sign", "equals": False}),
    ("food_category ∈ 热食类|冷食类", {"field": "food_category", "in": ["热食类", "冷食类"]}),
    ("vehicles = 3", {"field": "vehicles", "equals": 3}),
    ("ratio = 1.5", {"field": "ratio", "equals": 1.5}),
    ('answer = "是"', {"field": "answer", "equals": "是"}),
    ('code = "12"', {"field": "code", "equals": "12"}),
    ('kind ∈ "a|b"|c', {"field": "kind", "in": ["a|b", "c"]}),
    ('note = " padded "', {"field": "note", "equals": " padded "}),
    ("level = 二级", {"field": "level", "equals": "二级"}),
])
def test_a_condition_reads_and_writes_back_the_same(text, condition):
    assert parse_condition(text) == condition
    assert format_condition(condition) == text
    assert parse_condition(format_condition(condition)) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("", None), ("   ", None), (None, None),
    ("outdoor_sign=是", {"field": "outdoor_sign", "equals": True}),
    ("outdoor_sign ＝ 是", {"field": "outdoor_sign", "equals": True}),
    ("food_category in 热食类|冷食类", {"field": "food_category", "in": ["热食类", "冷食类"]}),
    ("food_category ∈ 热食类", {"field": "food_category", "in": ["热食类"]}),
    ("n = ２", {"field": "n", "equals": "２"}),  # a full-width digit is text, not a number ("２".isdigit() is True)
])
def test_a_condition_is_read_leniently(text, condition):
    assert parse_condition(text) == condition


@pytest.mark.parametrize("text", ["= 是", "outdoor sign = 是", "outdoor_sign 是", "outdoor_sign = ", "a ∈ x||y",
                                  'a = "unclosed', "招牌 = 是", "1a = 是"])
def test_an_unreadable_condition_says_why_in_chinese(text):
    with pytest.raises(ConditionSyntaxError) as error:
        parse_condition(text)
    assert re.search(r"[\u4e00-\u9fff]", str(error.value))


# --- helpers ----------------------------------------------------------------------------------------------------------


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


def _save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _set(book, sheet: str, key: str, header: str, value) -> None:
    """Set the cell of ``header`` in the row of ``sheet`` whose first cell is ``key``."""
    rows = list(book[sheet].iter_rows())
    column = [c.value for c in rows[0]].index(header)
    row = next(r for r in rows[1:] if r[0].value == key)
    row[column].value = value


def _small() -> dict[str, list[list]]:
    """A catalogue of one department, two materials, one item and one bundle, headers first."""
    rows = {name: [[c.header for c in columns]] for name, columns in SHEETS.items()}
    rows[DEPARTMENTS].append(["652302-TEST", "测试局", "652302"])
    rows[MATERIALS] += [["t-id", "身份证明", "652302", "演示数据", "申请人自备", "是", "是"],
                        ["t-plan", "方案", "652302", "", "申请人自备", "否", "是"]]
    rows[ITEMS].append(["T-001", "测试许可", "652302-TEST", "《中华人民共和国行政许可法》第十二条", 20, 5, 0, "否", 20,
                        "是", "否", 5, "证照", "测试许可证", "是"])
    rows[FIELDS] += [["T-001", "business_name", "名称", "文本", "是", "", ""],
                     ["T-001", "scale", "规模", "选择", "是", "大|小", ""]]
    rows[ITEM_MATERIALS] += [["T-001", "t-id", "身份证明", "是", "", "是"],
                             ["T-001", "t-plan", "方案", "是", "scale ∈ 大", "否"]]
    rows[BUNDLES].append(["YJS-T", 1, "开办测试店一件事", "居民服务类", "652302", "652302-TEST", "是", "否", "演示数据",
                          "已发布", "2024-01-01", "是"])
    rows[QUESTIONS].append(["YJS-T", "has_sign", "是否设置招牌", "是否", "否", "", ""])
    rows[BUNDLE_ITEMS].append(["YJS-T", "T-001", 0, "has_sign = 是"])
    return rows


# --- round trip, idempotence, versions -----------------------------------------------------------------------------


def test_the_export_of_the_demo_catalogue_imports_again_as_no_change(restaurant):
    content = catalogue_io.export_catalogue()
    book = _book(content)
    assert book.sheetnames == list(SHEETS)
    assert [c.value for c in next(book[BUNDLES].iter_rows())] == [c.header for c in SHEETS[BUNDLES]]
    assert book[BUNDLES].max_row - 1 == 89
    cy_links = [[c.value for c in r] for r in book[BUNDLE_ITEMS].iter_rows() if r[0].value == "YJS-CY"]
    assert cy_links[-1] == ["YJS-CY", "CGJ-001", 2, "outdoor_sign = 是"]
    versions = set(Bundle.objects.values_list("pk", "version", "status"))
    result = catalogue_io.import_catalogue(content, None)
    assert not result.errors and not result.changed
    assert "目录无变化" in result.summary()
    assert result.counts["bundles"] == {"unchanged": 89} and result.counts["items"]["unchanged"] == Item.objects.count()
    assert set(Bundle.objects.values_list("pk", "version", "status")) == versions
    seeded, entry = AuditEntry.objects.filter(action="services.catalogue.imported").order_by("at")
    assert seeded.detail["changed"] is True and seeded.actor_name == "demo"
    assert entry.detail["changed"] is False and entry.detail["counts"]["bundles"] == {"unchanged": 89}


def test_the_demo_seed_is_idempotent_and_loads_89_bundles_in_five_categories(restaurant):
    from changji.services.demo_catalogue import seed_demo_catalogue

    again = seed_demo_catalogue()
    assert len(again) == 89 and Bundle.objects.count() == 89
    current = current_bundles(date(2026, 3, 2))
    assert current.count() == 89
    per_category = {value: current.filter(category=value).count() for value in BundleCategory.values}
    assert set(per_category) == {"wholesale_retail", "resident_services", "leasing", "food_processing", "transport"}
    assert all(per_category.values()) and sum(per_category.values()) == 89
    assert not Bundle.objects.filter(demo=False).exists() and not Item.objects.filter(demo=False).exists()
    assert not CatalogueMaterial.objects.filter(demo=False).exists()
    assert all("演示数据" in b.description for b in Bundle.objects.all())
    assert set(Bundle.objects.values_list("effective_on", flat=True)) == {date(2024, 1, 1)}


def test_the_repair_shop_bundle_is_made_of_instant_items_only(restaurant):
    repair = Bundle.objects.get(code="YJS-WX")
    definition = definitions.definition_of(repair)
    assert (repair.name, repair.category, repair.online_allowed) == ("开办机动车维修店一件事", "transport", True)
    assert [item.code for item in definition.items] == ["SCJG-003", "JTJ-003"]
    assert all(item.instant for item in definition.items)
    filing = Item.objects.get(code="JTJ-003")
    assert (filing.department.name, filing.result_type, filing.result_name) == ("交通运输局", "filing",
                                                                                "机动车维修经营备案证明")
    assert (filing.inspection_required, filing.inspection_limit_days) == (True, 1)


def test_the_story_bundles_keep_their_items_limits_and_conditions(restaurant):
    definition = definitions.definition_of(restaurant)
    assert [(i.code, i.promised_limit_days, i.statutory_limit_days, i.condition) for i in definition.items] == [
        ("SCJG-001", 1, 15, None), ("SCJG-002", 5, 20, None),
        ("CGJ-001", 5, 20, {"field": "outdoor_sign", "equals": True})]
    assert [q.name for q in definition.questions] == ["outdoor_sign"]
    assert "《中华人民共和国食品安全法》第三十五条" in Item.objects.get(code="SCJG-002").legal_basis
    retail = definitions.definition_of(Bundle.objects.get(code="YJS-LS"))
    assert [i.condition and i.condition["field"] for i in retail.items] == [None, "sells_food", "outdoor_sign"]


def test_a_changed_item_makes_new_versions_and_never_edits_a_published_one(restaurant):
    frozen = dict(restaurant.definition)
    book = _book(catalogue_io.export_catalogue())
    _set(book, ITEMS, "SCJG-002", "承诺时限（工作日）", 4)
    _set(book, BUNDLES, "YJS-CY", "名称", "开办餐馆（饭店）一件事")
    using = {b.code for b in Bundle.objects.filter(bundle_items__item__code="SCJG-002")}
    result = catalogue_io.import_catalogue(_save(book), None)
    assert not result.errors, result.errors
    assert result.counts["items"]["updated"] == 1
    assert result.counts["bundles"]["new_version"] == len(using) and result.counts["bundles"]["published"] == len(using)
    restaurant.refresh_from_db()
    assert (restaurant.version, restaurant.name, restaurant.status) == (1, "开办餐馆一件事", BundleStatus.WITHDRAWN)
    assert restaurant.definition == frozen  # cases filed on version 1 keep their limits
    new = Bundle.objects.get(code="YJS-CY", version=2)
    assert (new.name, new.status, new.effective_on) == ("开办餐馆（饭店）一件事", "published", timezone.localdate())
    assert [i.promised_limit_days for i in definitions.definition_of(new).items][1] == 4
    assert Bundle.objects.get(code="YJS-MR").version == 1  # no SCJG-002: untouched
    second = catalogue_io.import_catalogue(_save(book), None)
    assert not second.changed and second.counts["bundles"]["unchanged"] == 89


def test_a_draft_is_edited_in_place_and_published_when_the_row_says_so(db):
    rows = _small()
    rows[BUNDLES][1][9] = "草稿"
    first = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None)
    assert not first.errors and first.counts["bundles"] == {"created": 1}
    draft = Bundle.objects.get(code="YJS-T")
    assert draft.status == BundleStatus.DRAFT and draft.questions[0]["name"] == "has_sign"
    rows[BUNDLES][1][2] = "开办测试商店一件事"
    assert catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None).counts["bundles"] == {"updated": 1}
    rows[BUNDLES][1][9] = "已发布"
    published = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None)
    assert published.counts["bundles"] == {"published": 1}
    bundle = Bundle.objects.get(code="YJS-T")
    assert (bundle.version, bundle.name, bundle.status, bundle.effective_on) == (
        1, "开办测试商店一件事", "published", date(2024, 1, 1))  # a code's first version may be back-dated
    material = next(m for m in bundle.definition["items"][0]["materials"] if m["code"] == "t-plan")
    assert material["condition"] == {"field": "scale", "in": ["大"]}
    assert Item.objects.get(code="T-001").instant is True


def test_a_dry_run_counts_and_saves_nothing(db):
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(_small()), None, dry_run=True)
    assert not result.errors and result.counts["bundles"]["created"] == 1 and result.dry_run
    assert "试导入" in result.summary()
    assert not Department.objects.filter(code="652302-TEST").exists() and not Bundle.objects.exists()
    assert not AuditEntry.objects.filter(action="services.catalogue.imported").exists()


# --- row errors ------------------------------------------------------------------------------------------------------


def test_every_row_error_is_reported_with_its_place_and_nothing_changes(restaurant):
    rows = _small()
    rows[DEPARTMENTS].append(["652302-TEST", "重复局", "652302"])  # row 3: a code twice
    rows[ITEMS].append(["T-002", "未知部门的事项", "652302-NONE", "", "二十", 5, 0, "否", 20, "否", "否", 5, "证照", "",
                        "是"])
    rows[FIELDS].append(["T-002", "size", "面积", "面积类型", "是", "", ""])
    rows[BUNDLES].append(["YJS-EMPTY", 1, "空的一件事", "居民服务类", "652302", "652302-TEST", "是", "否", "", "已发布",
                          "", "是"])
    rows[BUNDLE_ITEMS].append(["YJS-T", "T-001", 1, "nothing_asked = 是"])  # T-001 twice in YJS-T as well
    rows[BUNDLE_ITEMS].append(["YJS-T2", "T-001", 0, ""])
    rows[ITEMS][1][5] = 30  # promised above statutory (20)
    before = (Item.objects.count(), Bundle.objects.count(), Department.objects.count(),
              AuditEntry.objects.count())
    result = catalogue_io.import_catalogue(catalogue_io.workbook_of(rows), None)
    found = {(e.sheet, e.row, e.column) for e in result.errors}
    assert ("部门", 3, "部门编码") in found
    assert ("事项", 3, "部门编码") in found and ("事项", 3, "法定时限（工作日）") in found
    assert ("事项", 2, "承诺时限（工作日）") in found
    assert ("事项表单字段", 4, "类型") in found
    assert ("一件事", 3, "一件事编码") in found  # no items
    assert ("一件事事项", 3, "事项编码") in found  # T-001 twice
    assert ("一件事事项", 4, "一件事编码") in found  # an unknown bundle
    messages = " ".join(e.message for e in result.errors)
    assert "未知部门「652302-NONE」" in messages and "未知类型" in messages and "至少包含一个事项" in messages
    assert "导入失败" in result.summary()
    assert before == (Item.objects.count(), Bundle.objects.count(), Department.objects.count(),
                      AuditEntry.objects.count())


def test_a_condition_naming_nothing_the_bundle_asks_is_refused_on_its_row(db):
    rows = _small()
    rows[BUNDLE_ITEMS][1][3] = "nothing_asked = 是"
    rows[QUESTIONS][1][6] = "bad syntax"
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("一件事问题", 2, "条件")]
    rows[QUESTIONS][1][6] = ""
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("一件事事项", 2, "条件")]
    assert "nothing_asked" in result.errors[0].message and not Bundle.objects.exists()


def test_an_unreadable_file_or_a_missing_column_is_one_problem(db):
    assert "不是有效的 XLSX" in str(catalogue_io.import_catalogue(b"not a workbook", None).errors[0])
    rows = _small()
    rows[ITEMS] = [[h for h in rows[ITEMS][0] if h != "窗口即办"]]
    result = catalogue_io.import_catalogue(catalogue_io.workbook_of(rows), None)
    assert [str(e) for e in result.errors] == ["工作表「事项」缺少列：窗口即办"]


def test_an_importer_cannot_reach_outside_their_region(make_user, db):
    admin = make_user("centre-changji", "652301", role="service_centre_admin")
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(_small()), admin)
    assert {(e.sheet, e.column) for e in result.errors} >= {("部门", "区划代码"), ("一件事", "区划代码")}
    assert not Department.objects.filter(code="652302-TEST").exists()


# --- the command, the page, the API -----------------------------------------------------------------------------------


def test_the_command_exports_and_imports_a_real_file(restaurant, tmp_path, capsys):
    path = tmp_path / "catalogue.xlsx"
    call_command("services", "export-catalogue", str(path))
    assert "catalogue exported" in capsys.readouterr().out and path.stat().st_size > 10_000
    call_command("services", "import-catalogue", str(path), "--dry-run")
    assert "试导入" in capsys.readouterr().out
    call_command("services", "import-catalogue", str(path))
    out = capsys.readouterr().out
    assert "目录无变化" in out and "catalogue unchanged" in out
    book = _book(path.read_bytes())
    _set(book, ITEMS, "SCJG-001", "部门编码", "652302-NOWHERE")
    path.write_bytes(_save(book))
    with pytest.raises(CommandError, match="导入失败"):
        call_command("services", "import-catalogue", str(path))
    assert "「事项」第" in capsys.readouterr().err
    assert Item.objects.get(code="SCJG-001").department.code == "652302-SCJG"
    with pytest.raises(CommandError, match="无法读取"):
        call_command("services", "import-catalogue", str(tmp_path / "missing.xlsx"))
    with pytest.raises(CommandError, match="replaced by `changji jobs`"):
        call_command("services", "jobs", "--once")


@pytest.fixture
def centre_admin(make_user, restaurant):
    return make_user("fukang-centre-admin", "652302", role="service_centre_admin")


def test_the_transfer_page_shows_row_errors_and_imports(client, centre_admin, make_user):
    client.force_login(centre_admin)
    page = client.get("/services/admin/catalogue/transfer/")
    assert page.status_code == 200 and "/services/admin/catalogue/export.xlsx" in page.content.decode()
    exported = client.get("/services/admin/catalogue/export.xlsx")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(exported.streaming_content) if exported.streaming else exported.content
    book = _book(content)
    _set(book, BUNDLES, "YJS-CY", "类别", "饭店类")
    refused = client.post("/services/admin/catalogue/transfer/",
                          {"workbook": SimpleUploadedFile("c.xlsx", _save(book))})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "未知类别「饭店类」" in html and "<td>一件事</td>" in html
    dry = client.post("/services/admin/catalogue/transfer/",
                      {"workbook": SimpleUploadedFile("c.xlsx", content), "dry_run": "on"})
    assert dry.status_code == 200 and "目录无变化" in dry.content.decode()
    done = client.post("/services/admin/catalogue/transfer/", {"workbook": SimpleUploadedFile("c.xlsx", content)})
    assert done.status_code == 302
    assert "目录无变化" in client.get(done["Location"]).content.decode()
    client.force_login(make_user("clerk-x", "652302", role="window_clerk"))
    assert client.get("/services/admin/catalogue/transfer/").status_code == 403
    assert client.get("/services/admin/catalogue/export.xlsx").status_code == 403


def test_the_api_exports_and_imports_with_row_errors(client, centre_admin, make_user):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(centre_admin, 'test')[1]}"}
    exported = client.get("/api/services/catalogue/export.xlsx", **headers)
    assert exported.status_code == 200
    ok = client.post("/api/services/catalogue/import", {"file": SimpleUploadedFile("c.xlsx", exported.content)},
                     **headers)
    assert ok.status_code == 200 and ok.json()["changed"] is False
    assert ok.json()["counts"]["bundles"] == {"unchanged": 89}
    book = _book(exported.content)
    _set(book, ITEMS, "SCJG-001", "法定时限（工作日）", "十五")
    bad = client.post("/api/services/catalogue/import", {"file": SimpleUploadedFile("c.xlsx", _save(book))},
                      **headers)
    assert bad.status_code == 400
    [error] = bad.json()["errors"]
    assert (error["sheet"], error["column"]) == ("事项", "法定时限（工作日）") and error["row"] >= 2
    clerk = make_user("clerk-y", "652302", role="window_clerk")
    other = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(clerk, 'test')[1]}"}
    assert client.get("/api/services/catalogue/export.xlsx", **other).status_code == 403


def test_the_demo_preparation_publishes_89_bundles_and_the_centre_accounts(client, db):
    from changji.core.models import User

    message = apps.get_app_config("services").prepare_demo()
    assert "89 demo bundles published" in message and "fukang-centre" in message
    page = client.get("/services/").content.decode()
    assert len(set(re.findall(r'id="bundle-(YJS-[A-Z0-9]+)"', page))) == 89
    for label in ("批发零售", "居民服务", "租赁", "食品加工", "交通运输"):
        assert label in page
    clerk = User.objects.get(username="fukang-clerk")
    assert set(clerk.service_delegations.values_list("name", flat=True)) == {"交通运输局", "市场监督管理局"}
    assert User.objects.get(username="fukang-centre").role == "service_centre_admin"


def test_a_condition_value_the_question_cannot_take_is_refused(db):
    rows = _small()
    rows[BUNDLE_ITEMS][1][3] = "has_sign = 有"
    rows[ITEM_MATERIALS][2][4] = "scale ∈ 大|中"
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), None)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("一件事事项", 2, "条件"),
                                                                   ("事项材料", 3, "条件")]
    assert "应为“是”或“否”" in result.errors[0].message and "「中」不是「规模」的选项" in result.errors[1].message


def test_an_importer_cannot_change_another_regions_rows(make_user, restaurant):
    admin = make_user("centre-changji-2", "652301", role="service_centre_admin")
    rows = {name: [[c.header for c in columns]] for name, columns in SHEETS.items()}
    rows[DEPARTMENTS].append(["652301-OWN", "昌吉市测试局", "652301"])
    limits = ["", 15, 1, 0, "否", 20, "否", "否", 5, "证照", "", "否"]
    rows[ITEMS].append(["SCJG-001", "改名", "652301-OWN", *limits])
    rows[ITEMS].append(["X-002", "借用他区部门", "652302-SCJG", *limits])
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(rows), admin)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("事项", 2, "事项编码"), ("事项", 3, "部门编码")]
    assert Item.objects.get(code="SCJG-001").name == "营业执照（设立登记）"
    assert "652301-OWN" not in str(catalogue_io.export_catalogue(admin)) and not Department.objects.filter(
        code="652301-OWN").exists()
    exported = _book(catalogue_io.export_catalogue(admin))
    assert exported[BUNDLES].max_row == 1 and exported[DEPARTMENTS].max_row == 1  # nothing of 阜康市
