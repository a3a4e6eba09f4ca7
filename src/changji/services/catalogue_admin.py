"""The catalogue administrator's changes (事项目录维护): departments, materials, items, bundle versions.

One service for the pages (``services.web.catalogue_admin``) and the API (``services.api.catalogue_admin``):
each function checks the actor first (``core.access.check_actor``: ``services.catalogue.manage`` on the region
of the object), refuses bad input with a ``catalogue.CatalogueError`` naming the field (Chinese, a 400 on the
page and in the API; nothing is changed), and audits ``services.catalogue.<object>.<verb>`` with what the object
was before and is after. Objects are found through ``core.scope.scope_queryset``: another region's department,
material, item or bundle is unknown here (a 404 for the caller), so is an account of another region.

A published bundle version is never edited: its definition is frozen (``definitions.snapshot``) and the cases
filed on it keep it. Changing a bundle means ``new_version`` (a draft copy), editing the draft, then ``publish``
with an effective date; editing an item reaches applicants only through a newly published bundle version.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.db import models, transaction

from changji.core import audit, uploads
from changji.core.access import P, check_actor
from changji.core.models import Region, Role, User
from changji.core.params import LAST_YEAR
from changji.core.regions import root_region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.services import bundles, catalogue, definitions
from changji.services.catalogue import CatalogueError
from changji.services.models import (
    Bundle,
    BundleCategory,
    BundleItem,
    BundleStatus,
    CatalogueMaterial,
    Department,
    Item,
    ResultType,
)

M = TypeVar("M", bound=models.Model)

#: Codes of departments, materials, items and bundles: ASCII letters, digits, "-" and "_" (they go into URLs).
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", re.ASCII)
#: Templates and examples: at most 10 MB, of these kinds (by their first bytes, not their names).
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
TEMPLATE_KINDS = "PDF、DOCX、XLSX、JPG、PNG"
LIMIT_DAYS_MAX = 365


class PublishError(CatalogueError):
    """Publishing refused because of the definition: ``errors`` lists every reason (``bundles.check_definition``)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("items", "；".join(errors))
        self.errors = errors


def scoped(queryset: models.QuerySet[M], actor: Any) -> models.QuerySet[M]:
    """``queryset`` within the actor's region (a job or command, named by a string, sees everything)."""
    return scope_queryset(queryset, actor) if hasattr(actor, "is_authenticated") else queryset


def _others(queryset: models.QuerySet[M], own: M | None) -> models.QuerySet[M]:
    """``queryset`` without ``own`` (a code taken by another object, not by the one being changed)."""
    return queryset.exclude(pk=own.pk) if own is not None else queryset


def _text(field: str, value: Any, label: str, max_length: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise CatalogueError(field, f"{label}含有非法字符")
    if required and not text:
        raise CatalogueError(field, f"请填写{label}")
    if len(text) > max_length:
        raise CatalogueError(field, f"{label}过长（至多 {max_length} 个字符）")
    return text


def _code(value: Any, label: str) -> str:
    code = _text("code", value, label, 32)
    if not CODE.fullmatch(code):
        raise CatalogueError("code", f"{label}只能由英文字母、数字、“-”和“_”组成（至多 32 个字符）")
    return code


def _days(field: str, value: Any, label: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= LIMIT_DAYS_MAX:
        raise CatalogueError(field, f"{label}应为 {low}–{LIMIT_DAYS_MAX} 之间的整数（工作日）")
    return value


def _region(actor: Any, code: str | None) -> Region:
    """The region a new department or material belongs to: ``code`` within the actor's scope, else the actor's."""
    if code:
        region = Region.objects.filter(code=code).first()
        outside = hasattr(actor, "is_authenticated") and not user_can_access_region(actor, region)
        if region is None or outside:
            raise CatalogueError("region", f"区划“{code}”不存在或不在您的管辖范围内")
        return region
    own = getattr(actor, "region", None)
    return own if isinstance(own, Region) else root_region()


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {"before": {k: v for k, v in before.items() if after.get(k) != v},
            "after": {k: v for k, v in after.items() if before.get(k) != v}}


# --- departments --------------------------------------------------------------------------------------------


def _accounts(region: Region, usernames: Iterable[str], role: str, field: str, label: str) -> list[User]:
    wanted = sorted({str(name).strip() for name in usernames if str(name).strip()})
    found = {u.username: u for u in User.objects.filter(username__in=wanted, role=role, is_active=True,
                                                        region__path__startswith=region.path)}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise CatalogueError(field, f"账号“{'、'.join(unknown[:5])}”不是本区划的{label}")
    return [found[name] for name in wanted]


def department_state(department: Department) -> dict[str, Any]:
    """What the audit shows of a department."""
    return {"code": department.code, "name": department.name, "region": department.region_id,
            "reviewers": sorted(department.reviewers.values_list("username", flat=True)),
            "window_delegates": sorted(department.window_delegates.values_list("username", flat=True))}


@transaction.atomic
def save_department(actor: Any, department: Department | None, *, code: str, name: str,
                    reviewers: Iterable[str] = (), window_delegates: Iterable[str] = (),
                    region_code: str | None = None) -> Department:
    """Create (``department`` None) or change a department, its reviewers and its 窗口即办 delegates (usernames).

    Reviewers are accounts of role 部门审批人员, delegates of role 窗口人员, both within the department's region.
    """
    region = department.region if department is not None else _region(actor, region_code)
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, region)
    code, name = _code(code, "部门编码"), _text("name", name, "部门名称", 64)
    if _others(Department.objects.filter(code=code), department).exists():
        raise CatalogueError("code", f"部门编码“{code}”已存在")
    reviewer_accounts = _accounts(region, reviewers, Role.DEPARTMENT_REVIEWER, "reviewers", "部门审批人员")
    delegate_accounts = _accounts(region, window_delegates, Role.WINDOW_CLERK, "window_delegates", "窗口人员")
    before = department_state(department) if department is not None else {}
    if department is None:
        department = Department.objects.create(code=code, name=name, region=region)
    else:
        department.code, department.name = code, name
        department.save()
    department.reviewers.set(reviewer_accounts)
    department.window_delegates.set(delegate_accounts)
    after = department_state(department)
    audit.record(f"services.catalogue.department.{'update' if before else 'create'}", actor=actor, target=department,
                 region=region, **_changed(before, after))
    return department


# --- materials ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file as received: its name and content."""

    name: str
    content: bytes


def template_extension(content: bytes) -> str:
    """The extension of an accepted template or example (by its first bytes), or CatalogueError."""
    if content.startswith(b"%PDF-"):
        return ".pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if content.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if content.startswith(b"PK\x03\x04"):
        uploads.check_archive(content, max_bytes=MAX_TEMPLATE_BYTES)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
        if "word/document.xml" in names:
            return ".docx"
        if "xl/workbook.xml" in names:
            return ".xlsx"
    raise CatalogueError(None, f"文件类型不支持：只接受 {TEMPLATE_KINDS}")


def _stored(field: str, code: str, upload: Upload) -> ContentFile:
    try:
        uploads.check_size(len(upload.content), MAX_TEMPLATE_BYTES)
        extension = template_extension(upload.content)
    except (uploads.UploadError, CatalogueError) as error:
        raise CatalogueError(field, error.message) from error
    return ContentFile(upload.content, name=f"{code}{extension}")


def material_state(material: CatalogueMaterial) -> dict[str, Any]:
    """What the audit shows of a catalogue material."""
    return {"code": material.code, "name": material.name, "region": material.region_id,
            "description": material.description, "source": material.source,
            "original_required": material.original_required, "template": material.template.name or "",
            "example": material.example.name or ""}


@transaction.atomic
def save_material(actor: Any, material: CatalogueMaterial | None, *, code: str, name: str, description: str = "",
                  source: str = "", original_required: bool = False, template: Upload | None = None,
                  example: Upload | None = None, region_code: str | None = None) -> CatalogueMaterial:
    """Create or change a material of the 材料目录; a template or example given replaces the one stored."""
    region = material.region if material is not None else _region(actor, region_code)
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, region)
    code = _code(code, "材料编码")
    if _others(CatalogueMaterial.objects.filter(code=code), material).exists():
        raise CatalogueError("code", f"材料编码“{code}”已存在")
    values = {"code": code, "name": _text("name", name, "材料名称", 128),
              "description": _text("description", description, "填写说明", 2000, required=False),
              "source": _text("source", source, "来源", 32, required=False),
              "original_required": bool(original_required)}
    files = {field: _stored(field, code, upload) for field, upload in (("template", template), ("example", example))
             if upload is not None}
    before = material_state(material) if material is not None else {}
    if material is None:
        material = CatalogueMaterial(region=region)
    for key, value in values.items():
        setattr(material, key, value)
    for key, content in files.items():
        getattr(material, key).save(content.name, content, save=False)
    material.save()
    after = material_state(material)
    audit.record(f"services.catalogue.material.{'update' if before else 'create'}", actor=actor, target=material,
                 region=region, **_changed(before, after))
    return material


# --- items --------------------------------------------------------------------------------------------------


def _form_field(raw: Any, where: str) -> dict[str, Any]:
    """One form field as stored in ``Item.form_fields`` / ``Bundle.questions``, from a page or the API."""
    if not isinstance(raw, Mapping):
        raise CatalogueError("form_fields", f"{where}格式不正确")
    choices = raw.get("choices") or []
    if not isinstance(choices, list | tuple) or any(not isinstance(c, str) for c in choices):
        raise CatalogueError("form_fields", f"{where}：选项须为文字列表")
    out: dict[str, Any] = {"name": _text("form_fields", raw.get("name"), f"{where}的名称", 64),
                           "label": _text("form_fields", raw.get("label"), f"{where}的标题", 64),
                           "kind": str(raw.get("kind") or "text"), "required": bool(raw.get("required", True))}
    cleaned = [c.strip() for c in choices if c.strip()]
    if cleaned:
        out["choices"] = cleaned
    if raw.get("condition"):
        out["condition"] = raw["condition"]
    return out


def _item_material(raw: Any, materials: Mapping[str, CatalogueMaterial], where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise CatalogueError("materials", f"{where}格式不正确")
    code = str(raw.get("code") or "").strip()
    known = materials.get(code)
    if known is None:
        raise CatalogueError("materials", f"{where}：材料目录中没有编码为“{code[:32]}”的材料")
    out: dict[str, Any] = {"code": code, "name": known.name, "required": bool(raw.get("required", True))}
    if raw.get("condition"):
        out["condition"] = raw["condition"]
    if known.original_required:
        out["original"] = True
    return out


def item_state(item: Item) -> dict[str, Any]:
    """What the audit shows of an item."""
    return {"code": item.code, "name": item.name, "department": item.department.code,
            "legal_basis": item.legal_basis, "statutory_limit_days": item.statutory_limit_days,
            "promised_limit_days": item.promised_limit_days, "fee_yuan": str(item.fee_yuan),
            "commitment_allowed": item.commitment_allowed, "verification_days": item.verification_days,
            "instant": item.instant, "inspection_required": item.inspection_required,
            "inspection_limit_days": item.inspection_limit_days, "result_type": item.result_type,
            "result_name": item.result_name, "form_fields": item.form_fields, "materials": item.materials}


def _fee(value: Any) -> Decimal:
    try:
        fee = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        fee = Decimal(-1)
    if not fee.is_finite() or not Decimal(0) <= fee <= Decimal("99999999.99") or fee != fee.quantize(Decimal("0.01")):
        raise CatalogueError("fee_yuan", "收费应为 0–99999999.99 元，至多两位小数")
    return fee


def _item_values(actor: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    department = scoped(Department.objects.select_related("region"), actor).filter(
        code=str(data.get("department") or "").strip()).first()
    if department is None:
        raise CatalogueError("department", "审批部门不存在或不在您的管辖范围内")
    if data.get("result_type") not in ResultType.values:
        raise CatalogueError("result_type", "结果类型不正确")
    fields = [_form_field(raw, f"第 {n} 个字段") for n, raw in enumerate(data.get("form_fields") or [], 1)]
    codes = [str(raw.get("code") or "") for raw in data.get("materials") or [] if isinstance(raw, Mapping)]
    known = {m.code: m for m in scoped(CatalogueMaterial.objects.all(), actor).filter(code__in=codes)}
    materials = [_item_material(raw, known, f"第 {n} 项材料") for n, raw in enumerate(data.get("materials") or [], 1)]
    statutory = _days("statutory_limit_days", data.get("statutory_limit_days"), "法定时限", 1)
    promised = _days("promised_limit_days", data.get("promised_limit_days"), "承诺时限", 1)
    errors = bundles.check_item([bundles.field_from_json(f) for f in fields],
                                [bundles.material_from_json(m) for m in materials],
                                statutory_limit_days=statutory, promised_limit_days=promised)
    if errors:
        first = errors[0]
        field = ("promised_limit_days" if first.startswith("承诺时限") else
                 "materials" if first.startswith("材料") else "form_fields")
        raise CatalogueError(field, "；".join(errors))
    return {"name": _text("name", data.get("name"), "事项名称", 128), "department": department,
            "legal_basis": _text("legal_basis", data.get("legal_basis"), "设定依据", 4000, required=False),
            "statutory_limit_days": statutory, "promised_limit_days": promised, "fee_yuan": _fee(data.get("fee_yuan")),
            "commitment_allowed": bool(data.get("commitment_allowed")),
            "verification_days": _days("verification_days", data.get("verification_days", 20), "承诺核查时限"),
            "instant": bool(data.get("instant")), "inspection_required": bool(data.get("inspection_required")),
            "inspection_limit_days": _days("inspection_limit_days", data.get("inspection_limit_days", 5), "勘察时限"),
            "result_type": data["result_type"],
            "result_name": _text("result_name", data.get("result_name"), "结果名称", 128, required=False),
            "form_fields": fields, "materials": materials}


@transaction.atomic
def save_item(actor: Any, item: Item | None, data: Mapping[str, Any]) -> Item:
    """Create or change an item from ``data``: the model's fields, ``department`` by code.

    ``form_fields`` and ``materials`` are lists of dicts, each material by its 材料目录 code, conditions as
    {"field", "equals"|"in"}. Published bundle versions keep their frozen copy: the change reaches applicants
    with the next version published.
    """
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, item.department.region if item is not None else None)
    code = _code(data.get("code"), "事项编码")
    if _others(Item.objects.filter(code=code), item).exists():
        raise CatalogueError("code", f"事项编码“{code}”已存在")
    values = _item_values(actor, data)
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, values["department"].region)
    before = item_state(item) if item is not None else {}
    if item is None:
        item = Item(code=code)
    item.code = code
    for key, value in values.items():
        setattr(item, key, value)
    item.save()
    audit.record(f"services.catalogue.item.{'update' if before else 'create'}", actor=actor, target=item,
                 region=item.department.region, **_changed(before, item_state(item)))
    return item


def bundles_using(item: Item) -> models.QuerySet[Bundle]:
    """The published versions that include ``item`` (their frozen copy does not change with it)."""
    return Bundle.objects.filter(status=BundleStatus.PUBLISHED, bundle_items__item=item).order_by("code", "version")


# --- bundles ------------------------------------------------------------------------------------------------


def bundle_state(bundle: Bundle) -> dict[str, Any]:
    """What the audit shows of a bundle version."""
    return {"code": bundle.code, "version": bundle.version, "name": bundle.name, "category": bundle.category,
            "lead_department": bundle.lead_department.code, "status": bundle.status,
            "online_allowed": bundle.online_allowed, "refusal_fails_case": bundle.refusal_fails_case,
            "description": bundle.description, "questions": bundle.questions,
            "items": [{"item": link.item.code, "position": link.position, "condition": link.condition}
                      for link in bundle.bundle_items.select_related("item").order_by("position", "pk")]}


def _bundle_values(actor: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    lead = scoped(Department.objects.select_related("region"), actor).filter(
        code=str(data.get("lead_department") or "").strip()).first()
    if lead is None:
        raise CatalogueError("lead_department", "牵头部门不存在或不在您的管辖范围内")
    if data.get("category") not in BundleCategory.values:
        raise CatalogueError("category", "类别不正确")
    questions = [_form_field(raw, f"第 {n} 个问题") for n, raw in enumerate(data.get("questions") or [], 1)]
    errors = bundles.check_item([bundles.field_from_json(q) for q in questions], [], statutory_limit_days=0,
                                promised_limit_days=0)
    if errors:
        raise CatalogueError("questions", "；".join(e.replace("字段", "问题", 1) for e in errors))
    return {"name": _text("name", data.get("name"), "名称", 128), "category": data["category"],
            "lead_department": lead, "region": lead.region, "online_allowed": bool(data.get("online_allowed", True)),
            "refusal_fails_case": bool(data.get("refusal_fails_case")),
            "description": _text("description", data.get("description"), "说明", 4000, required=False),
            "questions": questions}


def _links(actor: Any, rows: Sequence[Any]) -> list[tuple[Item, int, dict[str, Any] | None]]:
    codes = [str(row.get("item") or "") for row in rows if isinstance(row, Mapping)]
    items = {i.code: i for i in scoped(Item.objects.select_related("department"), actor).filter(code__in=codes)}
    out, seen = [], set()
    for n, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise CatalogueError("items", f"第 {n} 个事项格式不正确")
        item = items.get(str(row.get("item") or ""))
        if item is None:
            raise CatalogueError("items", f"第 {n} 个事项不存在或不在您的管辖范围内")
        if item.code in seen:
            raise CatalogueError("items", f"事项“{item.name}”重复")
        seen.add(item.code)
        errors = bundles.condition_shape_errors(f"事项“{item.name}”", row.get("condition"))
        if errors:
            raise CatalogueError("items", "；".join(errors))
        position = row.get("position", n)
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 999:
            raise CatalogueError("items", f"事项“{item.name}”的顺序应为 0–999 之间的整数")
        out.append((item, position, dict(row["condition"]) if row.get("condition") else None))
    return out


def _write_bundle(bundle: Bundle, values: Mapping[str, Any], links: list[tuple[Item, int, Any]]) -> None:
    for key, value in values.items():
        setattr(bundle, key, value)
    bundle.save()
    bundle.bundle_items.all().delete()
    BundleItem.objects.bulk_create([BundleItem(bundle=bundle, item=item, position=position, condition=condition)
                                    for item, position, condition in links])


@transaction.atomic
def create_bundle(actor: Any, data: Mapping[str, Any]) -> Bundle:
    """A new bundle (一件事) as draft version 1.

    ``data`` has code, name, category, lead_department (code), online_allowed, refusal_fails_case, description,
    questions and items ([{"item", "position", "condition"}]).
    """
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE)
    code = _code(data.get("code"), "一件事编码")
    if Bundle.objects.filter(code=code).exists():
        raise CatalogueError("code", f"一件事编码“{code}”已存在")
    values = _bundle_values(actor, data)
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, values["region"])
    links = _links(actor, data.get("items") or [])
    bundle = Bundle(code=code, version=1, status=BundleStatus.DRAFT)
    _write_bundle(bundle, values, links)
    audit.record("services.catalogue.bundle.create", actor=actor, target=bundle, region=bundle.region,
                 **_changed({}, bundle_state(bundle)))
    return bundle


def _editable(actor: Any, bundle: Bundle) -> Bundle:
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, bundle.region)
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if bundle.status != BundleStatus.DRAFT:
        raise CatalogueError("status", "已发布或已撤回的版本不能修改：请新建版本，修改草稿后发布")
    return bundle


@transaction.atomic
def update_bundle(actor: Any, bundle: Bundle, data: Mapping[str, Any]) -> Bundle:
    """Change a draft version (the same ``data`` as ``create_bundle``, without the code); a published one is refused."""
    bundle = _editable(actor, bundle)
    values = _bundle_values(actor, data)
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, values["region"])
    links = _links(actor, data.get("items") or [])
    before = bundle_state(bundle)
    _write_bundle(bundle, values, links)
    audit.record("services.catalogue.bundle.update", actor=actor, target=bundle, region=bundle.region,
                 **_changed(before, bundle_state(bundle)))
    return bundle


@transaction.atomic
def new_version(actor: Any, bundle: Bundle) -> Bundle:
    """A draft copy of a published (or withdrawn) version as the next version number."""
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, bundle.region)
    if bundle.status == BundleStatus.DRAFT:
        raise CatalogueError("status", "草稿本身可以修改，无需新建版本")
    draft = catalogue.new_version(bundle, actor)
    audit.record("services.catalogue.bundle.new_version", actor=actor, target=draft, region=draft.region,
                 before={"version": bundle.version}, after={"version": draft.version, "status": draft.status})
    return draft


@transaction.atomic
def publish(actor: Any, bundle: Bundle, effective_on: date | None) -> Bundle:
    """Publish a draft from ``effective_on`` (not before today): ``PublishError`` lists what must be fixed first."""
    bundle = _editable(actor, bundle)
    if effective_on is not None and effective_on.year > LAST_YEAR:
        raise CatalogueError("effective_on", f"生效日期的年份不能晚于 {LAST_YEAR}")
    errors = bundles.check_definition(definitions.live_definition(bundle))
    if errors:
        raise PublishError(errors)
    published = catalogue.publish(bundle, actor, effective_on)
    audit.record("services.catalogue.bundle.publish", actor=actor, target=published, region=published.region,
                 before={"status": BundleStatus.DRAFT},
                 after={"status": published.status, "effective_on": f"{published.effective_on:%Y-%m-%d}"})
    return published


@transaction.atomic
def withdraw(actor: Any, bundle: Bundle, reason: str) -> Bundle:
    """Withdraw a published version (no new applications on it; running cases go on), with a reason."""
    check_actor(actor, P.SERVICES_CATALOGUE_MANAGE, bundle.region)
    reason = _text("reason", reason, "撤回理由", 500)
    if bundle.status != BundleStatus.PUBLISHED:
        raise CatalogueError("status", "只有已发布的版本可以撤回")
    withdrawn = catalogue.withdraw(bundle, actor, reason)
    audit.record("services.catalogue.bundle.withdraw", actor=actor, target=withdrawn, region=withdrawn.region,
                 reason=reason, before={"status": BundleStatus.PUBLISHED}, after={"status": withdrawn.status})
    return withdrawn
