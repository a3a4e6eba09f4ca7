"""One form and one set of materials from a bundle's items; conditions decide which items apply."""

from __future__ import annotations

import pytest

from changji.services.bundles import (
    Definition,
    FormField,
    ItemSpec,
    MaterialSpec,
    applicable_items,
    check_definition,
    definition_from_json,
    definition_to_json,
    merged_fields,
    merged_materials,
    missing,
    missing_from,
    missing_parts,
    required_form,
    required_materials,
)

LICENCE = ItemSpec("licence", (FormField("name", "名称"), FormField("address", "经营场所", required=False)),
                   (MaterialSpec("id", "身份证明"), MaterialSpec("lease", "场所证明")))
FOOD = ItemSpec("food", (FormField("address", "经营场所"), FormField("category", "经营项目")),
                (MaterialSpec("lease", "场所证明"), MaterialSpec("layout", "平面图")))
SIGN = ItemSpec("sign", (FormField("size", "招牌尺寸"),), (MaterialSpec("design", "效果图"),),
                condition={"field": "outdoor_sign", "equals": True})


def test_fields_are_merged_once_and_required_if_any_item_requires():
    fields = merged_fields([LICENCE, FOOD])
    assert [f.name for f in fields] == ["name", "address", "category"]
    assert next(f for f in fields if f.name == "address").required


def test_materials_are_asked_once_and_linked_to_every_item():
    materials = {m.code: m.items for m in merged_materials([LICENCE, FOOD])}
    assert materials == {"id": ("licence",), "lease": ("licence", "food"), "layout": ("food",)}


def test_conditions_pick_the_items():
    assert [i.code for i in applicable_items([LICENCE, FOOD, SIGN], {"outdoor_sign": False})] == ["licence", "food"]
    assert [i.code for i in applicable_items([LICENCE, FOOD, SIGN], {"outdoor_sign": True})][-1] == "sign"


def test_missing_is_one_complete_list():
    items = [LICENCE, FOOD]
    lacking = missing(merged_fields(items), merged_materials(items), {"name": "老王面馆", "address": ""}, ["id"])
    assert lacking == ["表单：经营场所", "表单：经营项目", "材料：场所证明", "材料：平面图"]


# --- One definition decides both the form and the material list ---------------------------------------------

#: 开办机动车维修店: rented premises need the lease (field and material); a sign needs the sign permit item;
#: a paint booth needs the environmental material of the filing item only.
REPAIR = Definition(
    questions=(FormField("premises", "经营场所性质", "choice", choices=("自有", "租赁")),
               FormField("outdoor_sign", "是否设置户外招牌", "bool", required=False)),
    items=(
        ItemSpec("licence", (FormField("name", "字号名称"),
                             FormField("lease_years", "租期（年）", "number",
                                       condition={"field": "premises", "equals": "租赁"})),
                 (MaterialSpec("id", "身份证", original=True),
                  MaterialSpec("lease", "租赁合同", condition={"field": "premises", "equals": "租赁"})),
                 name="个体工商户登记", department="SCJG", instant=True, promised_limit_days=0),
        ItemSpec("filing", (FormField("repair_class", "维修类别", "choice", choices=("一类", "二类", "三类")),
                            FormField("paint_booth", "是否设烤漆房", "bool", required=False)),
                 (MaterialSpec("equipment", "设备清单"),
                  MaterialSpec("eia", "环评文件", condition={"field": "paint_booth", "equals": True}),
                  MaterialSpec("lease", "租赁合同", condition={"field": "premises", "in": ["租赁"]})),
                 name="机动车维修备案", department="JTJ", instant=True, inspection=True, inspection_limit_days=1),
        ItemSpec("sign", (FormField("sign_size", "招牌尺寸"),), (MaterialSpec("design", "效果图"),),
                 condition={"field": "outdoor_sign", "equals": True}, name="户外招牌设置许可", department="CGJ"),
    ),
)


@pytest.mark.parametrize(("answers", "form", "materials"), [
    ({"premises": "自有"}, ["premises", "outdoor_sign", "name", "repair_class", "paint_booth"], ["id", "equipment"]),
    ({"premises": "租赁"}, ["premises", "outdoor_sign", "name", "lease_years", "repair_class", "paint_booth"],
     ["id", "lease", "equipment"]),
    ({"premises": "自有", "paint_booth": True}, ["premises", "outdoor_sign", "name", "repair_class", "paint_booth"],
     ["id", "equipment", "eia"]),
    ({"premises": "租赁", "outdoor_sign": True, "paint_booth": True},
     ["premises", "outdoor_sign", "name", "lease_years", "repair_class", "paint_booth", "sign_size"],
     ["id", "lease", "equipment", "eia", "design"]),
])
def test_one_definition_decides_the_form_and_the_materials(answers, form, materials):
    assert [f.name for f in required_form(REPAIR, answers)] == form
    assert [m.code for m in required_materials(REPAIR, answers)] == materials
    lease = next((m for m in required_materials(REPAIR, answers) if m.code == "lease"), None)
    assert lease is None or lease.items == ("licence", "filing")  # one lease for both items


def test_missing_names_only_what_the_answers_require():
    answers = {"premises": "自有", "name": "文杰汽修", "repair_class": "二类"}
    assert missing_from(REPAIR, answers, ["id", "equipment"]) == []
    rented = {**answers, "premises": "租赁"}
    assert missing_from(REPAIR, rented, ["id", "equipment"]) == ["表单：租期（年）", "材料：租赁合同"]
    fields, materials = missing_parts(REPAIR, rented, ["id", "equipment"])
    assert [f.name for f in fields] == ["lease_years"] and [m.code for m in materials] == ["lease"]


def test_the_definition_survives_a_json_round_trip():
    data = definition_to_json(REPAIR)
    again = definition_from_json(data)
    assert again == REPAIR
    assert definition_to_json(again) == data
    for answers in ({"premises": "租赁", "paint_booth": True}, {"premises": "自有", "outdoor_sign": True}):
        assert required_form(again, answers) == required_form(REPAIR, answers)
        assert required_materials(again, answers) == required_materials(REPAIR, answers)


def test_check_definition_accepts_the_repair_bundle_and_names_each_error():
    assert check_definition(REPAIR) == []
    broken = Definition(
        questions=(FormField("premises", "经营场所性质", "choice"),),
        items=(ItemSpec("x", (FormField("premises", "场所", "text"), FormField("kind", "类别", "colour")),
                        (MaterialSpec("lease", "租赁合同", condition={"field": "nowhere", "equals": 1}),),
                        condition={"field": "premises"}, name="某事项"),),
    )
    errors = check_definition(broken)
    assert "事项“某事项”材料“租赁合同”：条件引用了不存在的问题或字段“nowhere”" in errors
    assert "事项“某事项”：条件须有 equals 或 in 之一" in errors
    assert "字段“premises”在不同事项中类型不一致" in errors
    assert "事项“某事项”字段“类别”：未知类型 colour" in errors
    assert check_definition(Definition()) == ["一件事至少包含一个事项"]
