"""Demo catalogue (演示数据, marked ``demo=True``): departments, items and bundles of a city service centre.

Modelled on Fukang's 一件事一次办 catalogue (5 categories); the figures (limits, fees, materials)
are plausible examples, not the official catalogue. ``seed_demo_catalogue`` is idempotent.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from django.db import transaction
from django.utils import timezone

from changji.core.models import Role, User
from changji.services import definitions
from changji.services.models import Bundle, BundleCategory, BundleItem, BundleStatus, Department, Item

REGION = "652302"  # 阜康市
#: The demo catalogue is effective from the start of the demo's history (cases of past years are filed on it).
DEMO_EFFECTIVE_ON = date(2024, 1, 1)

DEPARTMENTS = {
    "SCJG": "市场监督管理局", "CGJ": "城市管理局", "JTJ": "交通运输局", "WSJ": "卫生健康委员会",
    "ZRZY": "自然资源局",
}

LICENCE_FIELDS = [
    {"name": "business_name", "label": "名称", "required": True},
    {"name": "address", "label": "经营场所", "required": True},
    {"name": "legal_person", "label": "法定代表人/负责人", "required": True},
    {"name": "registered_capital", "label": "注册资本（万元）", "kind": "number", "required": True},
]
ITEMS = [
    # code, name, department, statutory, promised, commitment, fields, materials
    ("SCJG-001", "营业执照（设立登记）", "SCJG", 15, 1, False, LICENCE_FIELDS,
     [{"code": "id", "name": "法定代表人身份证明"}, {"code": "lease", "name": "经营场所使用证明"},
      {"code": "articles", "name": "公司章程"}]),
    ("SCJG-002", "食品经营许可", "SCJG", 20, 5, True,
     [{"name": "business_name", "label": "名称"}, {"name": "address", "label": "经营场所"},
      {"name": "food_category", "label": "经营项目", "kind": "choice", "choices": ["热食类", "冷食类", "饮品"]}],
     [{"code": "id", "name": "法定代表人身份证明"}, {"code": "lease", "name": "经营场所使用证明"},
      {"code": "layout", "name": "经营场所平面布局图"}, {"code": "food_safety", "name": "食品安全管理制度"}]),
    ("CGJ-001", "户外招牌设置许可", "CGJ", 20, 5, False,
     [{"name": "address", "label": "经营场所"}, {"name": "sign_size", "label": "招牌尺寸（米）"}],
     [{"code": "sign_design", "name": "招牌设计效果图"}, {"code": "lease", "name": "经营场所使用证明"}]),
    ("JTJ-001", "道路运输经营许可（货运）", "JTJ", 20, 10, True,
     [{"name": "business_name", "label": "名称"}, {"name": "vehicles", "label": "车辆数", "kind": "number"}],
     [{"code": "vehicle_list", "name": "车辆清单及行驶证"}, {"code": "drivers", "name": "驾驶员从业资格证"}]),
    ("JTJ-002", "公路养护作业单位备案", "JTJ", 10, 3, False,
     [{"name": "business_name", "label": "名称"}, {"name": "qualification", "label": "养护资质等级"}],
     [{"code": "qualification_cert", "name": "资质证书"}]),
    ("WSJ-001", "公共场所卫生许可", "WSJ", 20, 7, True,
     [{"name": "business_name", "label": "名称"}, {"name": "address", "label": "经营场所"}],
     [{"code": "health_certs", "name": "从业人员健康合格证明"}, {"code": "lease", "name": "经营场所使用证明"}]),
]
#: A bundle item's condition (``bundles.applies``); None: the item always applies.
Condition = dict[str, object] | None
BUNDLES: list[tuple[str, str, BundleCategory, str, bool, list[tuple[str, Condition]]]] = [
    # code, name, category, lead, refusal fails case, [(item, condition)]
    ("YJS-CY", "开办餐馆一件事", BundleCategory.FOOD_PROCESSING, "SCJG", False,
     [("SCJG-001", None), ("SCJG-002", None), ("CGJ-001", {"field": "outdoor_sign", "equals": True})]),
    ("YJS-LS", "开办便利店一件事", BundleCategory.WHOLESALE_RETAIL, "SCJG", False,
     [("SCJG-001", None), ("SCJG-002", {"field": "sells_food", "equals": True}),
      ("CGJ-001", {"field": "outdoor_sign", "equals": True})]),
    ("YJS-MR", "开办美容美发店一件事", BundleCategory.RESIDENT_SERVICES, "SCJG", False,
     [("SCJG-001", None), ("WSJ-001", None)]),
    ("YJS-ZL", "开办房屋租赁中介一件事", BundleCategory.LEASING, "SCJG", False, [("SCJG-001", None)]),
    ("YJS-YH", "公路养护企业开业一件事", BundleCategory.TRANSPORT, "JTJ", True,
     [("SCJG-001", None), ("JTJ-002", None), ("JTJ-001", {"field": "has_trucks", "equals": True})]),
]
class Question(TypedDict):
    """A question of the one form (``bundles.FormField``'s name, label, kind and required)."""

    name: str
    label: str
    kind: str
    required: bool


#: Questions that decide which items apply (asked first on the one form).
QUESTIONS: list[Question] = [{"name": "outdoor_sign", "label": "是否设置户外招牌", "kind": "bool", "required": False},
             {"name": "sells_food", "label": "是否销售食品", "kind": "bool", "required": False},
             {"name": "has_trucks", "label": "是否自有货运车辆", "kind": "bool", "required": False}]


@transaction.atomic
def seed_demo_catalogue() -> list[Bundle]:
    departments = {code: Department.objects.get_or_create(code=f"{REGION}-{code}",
                                                          defaults={"name": name, "region_id": REGION})[0]
                   for code, name in DEPARTMENTS.items()}
    items = {}
    for code, name, dept, statutory, promised, commitment, fields, materials in ITEMS:
        items[code] = Item.objects.update_or_create(code=code, defaults={
            "name": name, "department": departments[dept], "statutory_limit_days": statutory,
            "promised_limit_days": promised, "commitment_allowed": commitment, "form_fields": fields,
            "materials": materials, "legal_basis": "演示数据：依据相关法律法规（示例）"})[0]
    out = []
    for code, name, category, lead, fails, members in BUNDLES:
        bundle, created = Bundle.objects.get_or_create(code=code, version=1, defaults={
            "name": name, "category": category, "region_id": REGION, "lead_department": departments[lead],
            "status": BundleStatus.PUBLISHED, "refusal_fails_case": fails, "demo": True,
            "description": "演示数据"})
        if created:
            BundleItem.objects.bulk_create([BundleItem(bundle=bundle, item=items[item], position=n, condition=cond)
                                            for n, (item, cond) in enumerate(members)])
            used = {cond["field"] for _, cond in members if cond}
            bundle.questions = [dict(q) for q in QUESTIONS if q["name"] in used]
            errors = definitions.snapshot(bundle)
            assert not errors, errors  # the demo's own definitions are consistent
            bundle.effective_on, bundle.published_at = DEMO_EFFECTIVE_ON, timezone.now()
            bundle.save()
        out.append(bundle)
    return out


def seed_demo_staff(password: str) -> list[str]:
    """Demo accounts of the 阜康市 service centre: a window clerk and one reviewer per department.

    Existing accounts keep their passwords. Returns the usernames.
    """
    accounts: list[tuple[str, Role, str | None]] = [("fukang-clerk", Role.WINDOW_CLERK, None)]
    accounts += [(f"fukang-{code.lower()}", Role.DEPARTMENT_REVIEWER, code) for code in DEPARTMENTS]
    for username, role, department in accounts:
        user, created = User.objects.get_or_create(username=username, defaults={"role": role, "region_id": REGION})
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        if department:
            Department.objects.get(code=f"{REGION}-{department}").reviewers.add(user)
    return [username for username, _, _ in accounts]
