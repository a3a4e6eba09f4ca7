"""One form and one set of materials from a bundle's items; conditions decide which items apply."""

from __future__ import annotations

from changji.services.bundles import (
    FormField,
    ItemSpec,
    MaterialSpec,
    applicable_items,
    merged_fields,
    merged_materials,
    missing,
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
