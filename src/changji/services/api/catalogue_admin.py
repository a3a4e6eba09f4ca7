"""The catalogue administrator's API (``/api/services/catalogue/``): departments, materials, items, bundle versions.

Every operation needs ``services.catalogue.manage`` (like the pages under ``/services/admin/``) and reads through
``core.scope.scope_queryset``: another region's object is a 404. Changes go through ``services.catalogue_admin``
(the pages' service): a refusal is a 400 ``{"detail": {field: [message]}}`` in Chinese and nothing changes. A
published or withdrawn bundle version is read-only: ``new-version`` makes a draft, ``publish`` freezes it.
Templates and examples of materials are uploaded on the material's page; the API reports whether they exist.
"""

from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from changji.core.access import P
from changji.core.api_schemas import Id, JsonObject, Text
from changji.core.guards import operation
from changji.services import catalogue_admin as service
from changji.services import definitions
from changji.services.bundles import FIELD_KINDS, definition_to_json
from changji.services.catalogue import current_bundles
from changji.services.models import (
    Bundle,
    BundleCategory,
    CatalogueMaterial,
    Department,
    Item,
    ResultType,
)

router = Router()  # its operations take the services router's tag

Code = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: One of ``bundles.FIELD_KINDS`` (django-ninja validates and documents it; mypy cannot read a computed Literal).
if TYPE_CHECKING:
    FieldKind = str
else:
    FieldKind = Literal[FIELD_KINDS]


class DepartmentIn(Schema):
    """A department: its code and name, the usernames of its reviewers and of its 窗口即办 delegates."""

    code: Text = Code
    name: Text = Field(..., max_length=64)
    reviewers: list[Text] = Field(default_factory=list, max_length=200)
    window_delegates: list[Text] = Field(default_factory=list, max_length=200)
    region: Text | None = Field(None, max_length=12, description="区划代码（新建时；默认为本人区划）")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    region: str
    reviewers: list[str]
    window_delegates: list[str]

    @staticmethod
    def resolve_region(obj: Department) -> str:
        return obj.region_id

    @staticmethod
    def resolve_reviewers(obj: Department) -> list[str]:
        return sorted(u.username for u in obj.reviewers.all())

    @staticmethod
    def resolve_window_delegates(obj: Department) -> list[str]:
        return sorted(u.username for u in obj.window_delegates.all())


class MaterialIn(Schema):
    """A material of the 材料目录 (its template and example are uploaded on its page)."""

    code: Text = Code
    name: Text = Field(..., max_length=128)
    description: Text = Field("", max_length=2000)
    source: Text = Field("", max_length=32)
    original_required: bool = False
    region: Text | None = Field(None, max_length=12, description="区划代码（新建时；默认为本人区划）")


class MaterialOut(Schema):
    id: int
    code: str
    name: str
    region: str
    description: str
    source: str
    original_required: bool
    template_url: str | None
    example_url: str | None

    @staticmethod
    def resolve_region(obj: CatalogueMaterial) -> str:
        return obj.region_id

    @staticmethod
    def resolve_template_url(obj: CatalogueMaterial) -> str | None:
        return reverse("services:material_template", args=[obj.code]) if obj.template else None

    @staticmethod
    def resolve_example_url(obj: CatalogueMaterial) -> str | None:
        return reverse("services:material_example", args=[obj.code]) if obj.example else None


class FormFieldIn(Schema):
    """A form field or a question; ``condition`` {"field": 名称, "equals": 值} or {"field": 名称, "in": [值…]}."""

    name: Text = Field(..., max_length=64)
    label: Text = Field(..., max_length=64)
    kind: FieldKind = "text"
    required: bool = True
    choices: list[Text] = Field(default_factory=list, max_length=50)
    condition: JsonObject = None


class ItemMaterialIn(Schema):
    """A material an item asks for, by its code in the 材料目录."""

    code: Text = Field(..., max_length=32)
    required: bool = True
    condition: JsonObject = None


class ItemIn(Schema):
    """An item (事项): limits in working days (promised ≤ statutory), its form fields and materials."""

    code: Text = Code
    name: Text = Field(..., max_length=128)
    department: Text = Field(..., max_length=32, description="审批部门编码")
    legal_basis: Text = Field("", max_length=4000)
    statutory_limit_days: int = Field(..., ge=1, le=365)
    promised_limit_days: int = Field(..., ge=1, le=365)
    fee_yuan: str = Field("0", max_length=12, pattern=r"^[0-9]{1,8}(\.[0-9]{1,2})?$")
    commitment_allowed: bool = False
    verification_days: int = Field(20, ge=0, le=365)
    instant: bool = False
    inspection_required: bool = False
    inspection_limit_days: int = Field(5, ge=0, le=365)
    result_type: ResultType = ResultType.LICENCE
    result_name: Text = Field("", max_length=128)
    form_fields: list[FormFieldIn] = Field(default_factory=list, max_length=100)
    materials: list[ItemMaterialIn] = Field(default_factory=list, max_length=100)


class ItemOut(Schema):
    id: int
    code: str
    name: str
    department: str
    legal_basis: str
    statutory_limit_days: int
    promised_limit_days: int
    fee_yuan: str
    commitment_allowed: bool
    verification_days: int
    instant: bool
    inspection_required: bool
    inspection_limit_days: int
    result_type: str
    result_name: str
    form_fields: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    published_bundles: list[str] = Field(description="使用本事项的已发布一件事版本（修改须发布新版本才生效）")

    @staticmethod
    def resolve_department(obj: Item) -> str:
        return obj.department.code

    @staticmethod
    def resolve_fee_yuan(obj: Item) -> str:
        return str(obj.fee_yuan)

    @staticmethod
    def resolve_published_bundles(obj: Item) -> list[str]:
        return [f"{b.code} v{b.version}" for b in service.bundles_using(obj)]


class BundleItemIn(Schema):
    """An item of a bundle by code, its position and the condition on the answers that makes it apply."""

    item: Text = Field(..., max_length=32)
    position: int = Field(0, ge=0, le=999)
    condition: JsonObject = None


class BundleIn(Schema):
    """A bundle version's content (a draft's)."""

    name: Text = Field(..., max_length=128)
    category: BundleCategory
    lead_department: Text = Field(..., max_length=32, description="牵头部门编码")
    online_allowed: bool = True
    refusal_fails_case: bool = False
    description: Text = Field("", max_length=4000)
    questions: list[FormFieldIn] = Field(default_factory=list, max_length=50)
    items: list[BundleItemIn] = Field(default_factory=list, max_length=100)


class BundleCreateIn(BundleIn):
    code: Text = Code


class BundleAdminOut(Schema):
    id: int
    code: str
    version: int
    name: str
    category: str
    status: str
    lead_department: str
    online_allowed: bool
    refusal_fails_case: bool
    description: str
    effective_on: date | None
    current: bool = Field(description="当前受理申请的版本")
    cases: int = Field(description="在此版本上提交的办件数")
    definition: dict[str, Any] = Field(description="发布时冻结的定义（草稿为目录中的现状）")

    @staticmethod
    def resolve_lead_department(obj: Bundle) -> str:
        return obj.lead_department.code

    @staticmethod
    def resolve_current(obj: Bundle) -> bool:
        return current_bundles().filter(pk=obj.pk).exists()

    @staticmethod
    def resolve_cases(obj: Bundle) -> int:
        return getattr(obj, "case_count", None) or obj.cases.count()

    @staticmethod
    def resolve_definition(obj: Bundle) -> dict[str, Any]:
        return definition_to_json(definitions.definition_of(obj))


class PublishIn(Schema):
    effective_on: date | None = Field(None, description="生效日期（YYYY-MM-DD，不早于今天；默认今天）")


class WithdrawIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=500)


def _departments(request: HttpRequest) -> QuerySet[Department]:
    return service.scoped(Department.objects.select_related("region").prefetch_related(
        "reviewers", "window_delegates"), request.user)


def _materials(request: HttpRequest) -> QuerySet[CatalogueMaterial]:
    return service.scoped(CatalogueMaterial.objects.all(), request.user)


def _items(request: HttpRequest) -> QuerySet[Item]:
    return service.scoped(Item.objects.select_related("department__region"), request.user)


def _bundles(request: HttpRequest) -> QuerySet[Bundle]:
    return service.scoped(Bundle.objects.select_related("lead_department", "region"), request.user).annotate(
        case_count=Count("cases"))


def _item_data(body: ItemIn) -> dict[str, Any]:
    return body.dict()


@router.get("/catalogue/departments", response=list[DepartmentOut])
@operation(P.SERVICES_CATALOGUE_MANAGE)
def list_departments(request: HttpRequest) -> QuerySet[Department]:
    """The departments of the user's region with their reviewers and 窗口即办 delegates."""
    return _departments(request).order_by("code")


@router.post("/catalogue/departments", response={201: DepartmentOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def create_department(request: HttpRequest, body: DepartmentIn) -> Status:
    """Add a department. Audited ``services.catalogue.department.create``."""
    department = service.save_department(request.user, None, code=body.code, name=body.name,
                                         reviewers=body.reviewers, window_delegates=body.window_delegates,
                                         region_code=body.region)
    return Status(201, department)


@router.put("/catalogue/departments/{department_code}", response=DepartmentOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def update_department(request: HttpRequest, department_code: Text, body: DepartmentIn) -> Department:
    """Change a department, its reviewers and delegates. Audited ``services.catalogue.department.update``."""
    department = get_object_or_404(_departments(request), code=department_code)
    return service.save_department(request.user, department, code=body.code, name=body.name,
                                   reviewers=body.reviewers, window_delegates=body.window_delegates)


@router.get("/catalogue/materials", response=list[MaterialOut])
@operation(P.SERVICES_CATALOGUE_MANAGE)
def list_materials(request: HttpRequest) -> QuerySet[CatalogueMaterial]:
    """The 材料目录 of the user's region."""
    return _materials(request).order_by("code")


@router.post("/catalogue/materials", response={201: MaterialOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def create_material(request: HttpRequest, body: MaterialIn) -> Status:
    """Add a material to the 材料目录. Audited ``services.catalogue.material.create``."""
    values = body.dict()
    material = service.save_material(request.user, None, region_code=values.pop("region"), **values)
    return Status(201, material)


@router.put("/catalogue/materials/{material_code}", response=MaterialOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def update_material(request: HttpRequest, material_code: Text, body: MaterialIn) -> CatalogueMaterial:
    """Change a material (its files stay). Audited ``services.catalogue.material.update``."""
    material = get_object_or_404(_materials(request), code=material_code)
    values = body.dict()
    values.pop("region")
    return service.save_material(request.user, material, **values)


@router.get("/catalogue/items", response=list[ItemOut])
@operation(P.SERVICES_CATALOGUE_MANAGE)
def list_items(request: HttpRequest) -> QuerySet[Item]:
    """The items of the user's region's departments."""
    return _items(request).order_by("code")


@router.post("/catalogue/items", response={201: ItemOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def create_item(request: HttpRequest, body: ItemIn) -> Status:
    """Add an item. Audited ``services.catalogue.item.create``."""
    return Status(201, service.save_item(request.user, None, _item_data(body)))


@router.put("/catalogue/items/{item_code}", response=ItemOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def update_item(request: HttpRequest, item_code: Text, body: ItemIn) -> Item:
    """Change an item; published bundle versions keep their frozen copy. Audited ``services.catalogue.item.update``."""
    return service.save_item(request.user, get_object_or_404(_items(request), code=item_code), _item_data(body))


@router.get("/catalogue/bundles", response=list[BundleAdminOut])
@operation(P.SERVICES_CATALOGUE_MANAGE)
def list_bundles(request: HttpRequest, category: BundleCategory | None = None) -> QuerySet[Bundle]:
    """Every version of the region's bundles (drafts, published, withdrawn), by category, code and version."""
    found = _bundles(request)
    if category:
        found = found.filter(category=category)
    return found.order_by("category", "code", "version")


@router.post("/catalogue/bundles", response={201: BundleAdminOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def create_bundle(request: HttpRequest, body: BundleCreateIn) -> Status:
    """Create a bundle as draft version 1. Audited ``services.catalogue.bundle.create``."""
    bundle = service.create_bundle(request.user, body.dict())
    return Status(201, get_object_or_404(_bundles(request), pk=bundle.pk))


@router.put("/catalogue/bundles/{bundle_id}", response=BundleAdminOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def update_bundle(request: HttpRequest, bundle_id: Id, body: BundleIn) -> Bundle:
    """Change a draft; a published or withdrawn one is refused (400). Audited ``services.catalogue.bundle.update``."""
    service.update_bundle(request.user, get_object_or_404(_bundles(request), pk=bundle_id), body.dict())
    return get_object_or_404(_bundles(request), pk=bundle_id)


@router.post("/catalogue/bundles/{bundle_id}/new-version", response={201: BundleAdminOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def new_version(request: HttpRequest, bundle_id: Id) -> Status:
    """A draft copy of a published version as the next version. Audited ``services.catalogue.bundle.new_version``."""
    draft = service.new_version(request.user, get_object_or_404(_bundles(request), pk=bundle_id))
    return Status(201, get_object_or_404(_bundles(request), pk=draft.pk))


@router.post("/catalogue/bundles/{bundle_id}/publish", response=BundleAdminOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def publish(request: HttpRequest, bundle_id: Id, body: PublishIn) -> Bundle:
    """Publish a draft from ``effective_on``; a definition with errors is a 400 listing them all."""
    service.publish(request.user, get_object_or_404(_bundles(request), pk=bundle_id), body.effective_on)
    return get_object_or_404(_bundles(request), pk=bundle_id)


@router.post("/catalogue/bundles/{bundle_id}/withdraw", response=BundleAdminOut)
@operation(P.SERVICES_CATALOGUE_MANAGE)
def withdraw(request: HttpRequest, bundle_id: Id, body: WithdrawIn) -> Bundle:
    """Withdraw a published version with a reason; running cases go on with it."""
    service.withdraw(request.user, get_object_or_404(_bundles(request), pk=bundle_id), body.reason)
    return get_object_or_404(_bundles(request), pk=bundle_id)
