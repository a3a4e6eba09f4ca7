"""The seed's story: 开办机动车维修店一件事 (YJS-WX), every item 即办, the 备案 item with a site inspection.

``repair_bundle()`` uses the published YJS-WX bundle when the demo catalogue has one, and otherwise creates it
(in 阜康市, 652302). ``walk_in_answers`` and ``walk_in_materials`` are driven from the bundle's definition, so
the tests hold for the demo catalogue's version too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from changji.services import bundles, definitions
from changji.services.catalogue import current_bundles
from changji.services.models import Bundle, BundleCategory, BundleItem, BundleStatus, Department, Item, ResultType

REGION = "652302"
CODE = "YJS-WX"
#: 马文杰, a valid resident ID of 阜康市 (GB 11643 check character).
MA_WENJIE = ("马文杰", "652302198506120519", "13909945678")
QUESTIONS = [{"name": "premises", "label": "经营场所性质", "kind": "choice", "choices": ["自有", "租赁"],
              "required": True}]
LEASE = {"code": "wx_lease", "name": "房屋租赁合同", "condition": {"field": "premises", "equals": "租赁"}}
ITEMS = [
    ("WX-GT-001", "个体工商户设立登记", "SCJG", False, 0,
     [{"name": "business_name", "label": "字号名称"}, {"name": "address", "label": "经营场所"}],
     [{"code": "wx_id", "name": "经营者身份证", "original": True}, LEASE]),
    ("WX-BA-001", "机动车维修经营备案", "JTJ", True, 1,
     [{"name": "address", "label": "经营场所"},
      {"name": "repair_class", "label": "维修类别", "kind": "choice", "choices": ["一类", "二类", "三类"]},
      {"name": "lease_years", "label": "租期（年）", "kind": "number",
       "condition": {"field": "premises", "equals": "租赁"}}],
     [{"code": "wx_tech", "name": "技术负责人资格证明"}, {"code": "wx_equipment", "name": "维修设备清单"}, LEASE]),
]
DEPARTMENTS = {"SCJG": "市场监督管理局", "JTJ": "交通运输局"}


def repair_bundle() -> Bundle:
    """The current YJS-WX bundle of 阜康市: the demo catalogue's when present, else created here."""
    existing = current_bundles().filter(code=CODE, region_id=REGION).order_by("-version").first()
    if existing is not None:
        return existing
    departments = {code: Department.objects.get_or_create(code=f"{REGION}-{code}",
                                                          defaults={"name": name, "region_id": REGION})[0]
                   for code, name in DEPARTMENTS.items()}
    items = []
    for code, name, dept, inspection, limit, fields, materials in ITEMS:
        items.append(Item.objects.update_or_create(code=code, defaults={
            "name": name, "department": departments[dept], "statutory_limit_days": 5, "promised_limit_days": 0,
            "instant": True, "inspection_required": inspection, "inspection_limit_days": limit,
            "result_type": ResultType.FILING if inspection else ResultType.LICENCE,
            "result_name": "机动车维修经营备案证明" if inspection else "营业执照", "form_fields": fields,
            "materials": materials})[0])
    bundle = Bundle.objects.create(code=CODE, version=1, name="开办机动车维修店一件事",
                                   category=BundleCategory.TRANSPORT, region_id=REGION,
                                   lead_department=departments["JTJ"], online_allowed=False, questions=QUESTIONS,
                                   status=BundleStatus.DRAFT)
    BundleItem.objects.bulk_create([BundleItem(bundle=bundle, item=item, position=n) for n, item in enumerate(items)])
    errors = definitions.snapshot(bundle)
    assert not errors, errors
    bundle.status, bundle.effective_on, bundle.published_at = BundleStatus.PUBLISHED, date(2024, 1, 1), timezone.now()
    bundle.save()
    return bundle


def delegate(clerk: Any, bundle: Bundle) -> None:
    """Make ``clerk`` a window delegate (窗口即办授权) of every department of the bundle's items."""
    codes = {item.department for item in definitions.definition_of(bundle).items}
    for department in Department.objects.filter(code__in=codes):
        department.window_delegates.add(clerk)


def _value(field: bundles.FormField) -> Any:
    if field.kind == "choice":
        return field.choices[-1]  # 租赁 for the premises: the conditional lease is asked
    if field.kind == "number":
        return 3
    if field.kind == "bool":
        return True
    if field.kind == "date":
        return "2026-01-01"
    return {"business_name": "文杰汽修", "address": "阜康市博峰街 8 号"}.get(field.name, "示例")


def walk_in_answers(bundle: Bundle) -> dict[str, Any]:
    """Answers to every question and field the definition asks (conditions followed until stable)."""
    definition = definitions.definition_of(bundle)
    answers: dict[str, Any] = {}
    while True:
        asked = bundles.required_form(definition, answers)
        new = {f.name: _value(f) for f in asked if f.name not in answers}
        if not new:
            return answers
        answers.update(new)


def walk_in_materials(bundle: Bundle, answers: dict[str, Any]) -> list[bundles.MergedMaterial]:
    return bundles.required_materials(definitions.definition_of(bundle), answers)
