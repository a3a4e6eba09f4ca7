"""The catalogue administrator's pages (``/services/admin/``): departments, 材料目录, items, bundle versions.

Every page needs ``services.catalogue.manage`` and reads through ``core.scope.scope_queryset`` (another region's
object is a 404). A POST goes through ``services.catalogue_admin`` and redirects (post/redirect/get); a refusal
comes back on the form with a 400 and nothing changes. Conditions are written as a field, an operator (等于 /
属于) and values (``bundles.parse_condition``). The material templates and examples are public downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import PUBLIC, route
from changji.core.models import Role, User
from changji.core.scope import scope_queryset
from changji.core.web_forms import refuse
from changji.services import bundles, definitions
from changji.services import catalogue_admin as service
from changji.services.catalogue import current_bundles
from changji.services.models import (
    Bundle,
    BundleCategory,
    BundleStatus,
    CatalogueMaterial,
    Department,
    Item,
    ResultType,
)

MANAGE = P.SERVICES_CATALOGUE_MANAGE
KIND_LABELS = {"text": "文本", "number": "数字", "date": "日期", "bool": "是/否", "choice": "单选"}
OP_CHOICES = [("", "—"), ("equals", "等于"), ("in", "属于")]


def _codes(queryset: Any) -> list[tuple[str, str]]:
    return [(o.code, f"{o.code} {o.name}") for o in queryset.order_by("code")]


def condition_label(condition: Any) -> str:
    """A condition as the page writes it: ``outdoor_sign 等于 是``."""
    field, op, values = bundles.condition_text(condition)
    return f"{field} {dict(OP_CHOICES)[op]} {values}" if field else ""


# --- forms --------------------------------------------------------------------------------------------------


class ConditionMixin(forms.Form):
    """The three inputs of a condition: a field name, 等于/属于 and the values (属于: separated by 、)."""

    cond_field = forms.CharField(label="条件字段", max_length=64, required=False)
    cond_op = forms.ChoiceField(label="条件", choices=OP_CHOICES, required=False)
    cond_values = forms.CharField(label="条件取值", max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean returns (django-stubs allows a subclass's None)
        try:
            data["condition"] = bundles.parse_condition(data.get("cond_field", ""), data.get("cond_op", ""),
                                                        data.get("cond_values", ""))
        except ValueError as error:
            self.add_error("cond_values", str(error))
        return data

    @staticmethod
    def initial_of(condition: Any) -> dict[str, str]:
        field, op, values = bundles.condition_text(condition)
        return {"cond_field": field, "cond_op": op, "cond_values": values}


class FieldRowForm(ConditionMixin):
    """One form field of an item (or one question of a bundle)."""

    name = forms.CharField(label="名称（英文）", max_length=64)
    label = forms.CharField(label="标题", max_length=64)
    kind = forms.ChoiceField(label="类型", choices=list(KIND_LABELS.items()), initial="text")  # a blank row: unchanged
    required = forms.BooleanField(label="必填", required=False)
    choices = forms.CharField(label="选项（以、分隔）", max_length=500, required=False)

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "label": data["label"], "kind": data["kind"], "required": data["required"],
                "choices": [c for c in data["choices"].replace("，", "、").replace(",", "、").split("、") if c.strip()],
                "condition": data.get("condition")}

    @classmethod
    def initial_rows(cls, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"name": f["name"], "label": f["label"], "kind": f.get("kind", "text"),
                 "required": f.get("required", True), "choices": "、".join(f.get("choices", ())),
                 **cls.initial_of(f.get("condition"))} for f in stored]


class MaterialRowForm(ConditionMixin):
    """One material an item asks for, picked from the 材料目录."""

    code = forms.ChoiceField(label="材料")
    required = forms.BooleanField(label="必需", required=False)

    def __init__(self, *args: Any, material_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = material_choices  # type: ignore[attr-defined]

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"code": data["code"], "required": data["required"], "condition": data.get("condition")}


class BundleItemRowForm(ConditionMixin):
    """One item of a bundle: which, in what position, and when it applies."""

    item = forms.ChoiceField(label="事项")
    position = forms.IntegerField(label="顺序", min_value=0, max_value=999, required=False)

    def __init__(self, *args: Any, item_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = item_choices  # type: ignore[attr-defined]

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"item": data["item"], "position": data.get("position") or 0, "condition": data.get("condition")}


FieldFormSet = forms.formset_factory(FieldRowForm, extra=2, can_delete=True, max_num=100, absolute_max=100)
MaterialFormSet = forms.formset_factory(MaterialRowForm, extra=2, can_delete=True, max_num=100, absolute_max=100)
BundleItemFormSet = forms.formset_factory(BundleItemRowForm, extra=2, can_delete=True, max_num=100,
                                          absolute_max=100)


def _rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The rows kept: the shown ones and the filled-in new ones (a blank new row has no cleaned data), not removed."""
    return [form.row() for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


class DepartmentForm(forms.Form):
    code = forms.CharField(label="部门编码", max_length=32)
    name = forms.CharField(label="部门名称", max_length=64)
    reviewers = forms.MultipleChoiceField(label="审批人员", required=False, widget=forms.CheckboxSelectMultiple)
    window_delegates = forms.MultipleChoiceField(label="窗口即办授权（窗口人员）", required=False,
                                                 widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, accounts: dict[str, list[tuple[str, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = accounts["reviewers"]  # type: ignore[attr-defined]
        self.fields["window_delegates"].choices = accounts["window_delegates"]  # type: ignore[attr-defined]


class MaterialForm(forms.Form):
    code = forms.CharField(label="材料编码", max_length=32)
    name = forms.CharField(label="材料名称", max_length=128)
    description = forms.CharField(label="填写说明", max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.CharField(label="来源（申请人自备、部门核发、共享获取等）", max_length=32, required=False)
    original_required = forms.BooleanField(label="需核验原件", required=False)
    template = forms.FileField(label=f"空白模板（{service.TEMPLATE_KINDS}，不超过 10 MB）", required=False,
                               widget=forms.FileInput)
    example = forms.FileField(label=f"填写示例（{service.TEMPLATE_KINDS}，不超过 10 MB）", required=False,
                              widget=forms.FileInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean returns (django-stubs allows a subclass's None)
        for name in ("template", "example"):
            upload = data.get(name)
            if upload is not None and upload.size > service.MAX_TEMPLATE_BYTES:
                self.add_error(name, "文件不能超过 10 MB")
        return data

    def upload(self, name: str) -> service.Upload | None:
        upload: UploadedFile | None = self.cleaned_data.get(name)
        return service.Upload(upload.name or name, upload.read()) if upload is not None else None


class ItemForm(forms.Form):
    code = forms.CharField(label="事项编码", max_length=32)
    name = forms.CharField(label="事项名称", max_length=128)
    department = forms.ChoiceField(label="审批部门")
    legal_basis = forms.CharField(label="设定依据", max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    statutory_limit_days = forms.IntegerField(label="法定时限（工作日）", min_value=1, max_value=365)
    promised_limit_days = forms.IntegerField(label="承诺时限（工作日，不超过法定时限）", min_value=1, max_value=365)
    fee_yuan = forms.DecimalField(label="收费（元）", min_value=0, max_digits=10, decimal_places=2, initial=0)
    commitment_allowed = forms.BooleanField(label="适用告知承诺", required=False)
    verification_days = forms.IntegerField(label="承诺核查时限（工作日）", min_value=0, max_value=365, initial=20)
    instant = forms.BooleanField(label="窗口即办", required=False)
    inspection_required = forms.BooleanField(label="需现场勘察", required=False)
    inspection_limit_days = forms.IntegerField(label="勘察时限（工作日）", min_value=0, max_value=365, initial=5)
    result_type = forms.ChoiceField(label="结果类型", choices=ResultType.choices)
    result_name = forms.CharField(label="结果名称", max_length=128, required=False)

    def __init__(self, *args: Any, department_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean returns (django-stubs allows a subclass's None)
        statutory, promised = data.get("statutory_limit_days"), data.get("promised_limit_days")
        if statutory is not None and promised is not None and promised > statutory:
            self.add_error("promised_limit_days", "承诺时限不能超过法定时限")
        return data


class BundleCreateForm(forms.Form):
    code = forms.CharField(label="一件事编码", max_length=32)
    name = forms.CharField(label="名称", max_length=128)
    category = forms.ChoiceField(label="类别", choices=BundleCategory.choices)
    lead_department = forms.ChoiceField(label="牵头部门")

    def __init__(self, *args: Any, department_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_department"].choices = department_choices  # type: ignore[attr-defined]


class BundleForm(BundleCreateForm):
    online_allowed = forms.BooleanField(label="可网上申请", required=False)
    refusal_fails_case = forms.BooleanField(label="任一事项不予许可则整件不予办理", required=False)
    description = forms.CharField(label="说明", max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class PublishForm(forms.Form):
    effective_on = params.DayField(label="生效日期")


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class NewVersionForm(forms.Form):
    pass


# --- helpers ------------------------------------------------------------------------------------------------


def _save(request: HttpRequest, form: forms.Form, apply: Callable[[], Any], done: str) -> Any:
    """Run ``apply`` (the service); a refusal goes onto ``form`` (None returned), else the flash and the result."""
    try:
        result = apply()
    except Refusal as error:
        refuse(form, error)
        return None
    messages.success(request, done)
    return result


def _code(code: str) -> str:
    """A code from the path, or 404 (a code is short ASCII: no NUL, which PostgreSQL refuses, reaches a query)."""
    if not service.CODE.fullmatch(code):
        raise Http404("编码不存在")
    return code


def _departments(request: HttpRequest) -> Any:
    return scope_queryset(Department.objects.select_related("region"), request.user)


def _materials(request: HttpRequest) -> Any:
    return scope_queryset(CatalogueMaterial.objects.all(), request.user)


def _items(request: HttpRequest) -> Any:
    return scope_queryset(Item.objects.select_related("department"), request.user)


def _bundles(request: HttpRequest) -> Any:
    return scope_queryset(Bundle.objects.select_related("lead_department", "region"), request.user)


def _accounts(department: Department | None, request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    users = scope_queryset(User.objects.filter(is_active=True), request.user)
    if department is not None:
        users = users.filter(region__path__startswith=department.region.path)

    def of(role: str) -> list[tuple[str, str]]:
        return [(u.username, f"{u.get_full_name() or u.username}（{u.username}）")
                for u in users.filter(role=role).order_by("username")[:500]]

    return {"reviewers": of(Role.DEPARTMENT_REVIEWER), "window_delegates": of(Role.WINDOW_CLERK)}


# --- departments --------------------------------------------------------------------------------------------


@route(get=MANAGE, post=MANAGE)
def departments(request: HttpRequest) -> HttpResponse:
    """The region's departments with their reviewers and delegates; POST adds one."""
    form = DepartmentForm(request.POST or None, accounts=_accounts(None, request), prefix="new")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            made = _save(request, form, lambda: service.save_department(
                request.user, None, code=data["code"], name=data["name"], reviewers=data["reviewers"],
                window_delegates=data["window_delegates"]), "已新增部门。")
            if made is not None:
                return redirect("services:admin_department", department_code=made.code)
    rows = _departments(request).prefetch_related("reviewers", "window_delegates").order_by("code")
    return render(request, "services/admin/departments.html", {"rows": rows, "form": form}, status=status)


@route(get=MANAGE, post=MANAGE)
def department(request: HttpRequest, department_code: str) -> HttpResponse:
    """Edit a department: code, name, reviewers (部门审批人员) and 窗口即办 delegates (窗口人员)."""
    dept = get_object_or_404(_departments(request), code=_code(department_code))
    initial = {"code": dept.code, "name": dept.name,
               "reviewers": list(dept.reviewers.values_list("username", flat=True)),
               "window_delegates": list(dept.window_delegates.values_list("username", flat=True))}
    form = DepartmentForm(request.POST or None, initial=initial, accounts=_accounts(dept, request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            saved = _save(request, form, lambda: service.save_department(
                request.user, dept, code=data["code"], name=data["name"], reviewers=data["reviewers"],
                window_delegates=data["window_delegates"]), "已保存部门。")
            if saved is not None:
                return redirect("services:admin_department", department_code=saved.code)
    return render(request, "services/admin/department.html", {"department": dept, "form": form}, status=status)


# --- materials ----------------------------------------------------------------------------------------------


def _material_post(request: HttpRequest, form: MaterialForm, material: CatalogueMaterial | None) -> Any:
    data = form.cleaned_data
    return _save(request, form, lambda: service.save_material(
        request.user, material, code=data["code"], name=data["name"], description=data["description"],
        source=data["source"], original_required=data["original_required"], template=form.upload("template"),
        example=form.upload("example")), "已保存材料。")


@route(get=MANAGE, post=MANAGE)
def materials(request: HttpRequest) -> HttpResponse:
    """The 材料目录 of the region; POST adds a material (with its template and example)."""
    form = MaterialForm(request.POST or None, request.FILES or None, prefix="new")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            made = _material_post(request, form, None)
            if made is not None:
                return redirect("services:admin_material", material_code=made.code)
    return render(request, "services/admin/materials.html",
                  {"rows": _materials(request).order_by("code"), "form": form}, status=status)


@route(get=MANAGE, post=MANAGE)
def material(request: HttpRequest, material_code: str) -> HttpResponse:
    """Edit a material; a template or example uploaded replaces the stored one."""
    found = get_object_or_404(_materials(request), code=_code(material_code))
    initial = {name: getattr(found, name) for name in ("code", "name", "description", "source", "original_required")}
    form = MaterialForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved = _material_post(request, form, found)
            if saved is not None:
                return redirect("services:admin_material", material_code=saved.code)
    return render(request, "services/admin/material.html", {"material": found, "form": form}, status=status)


def _material_file(code: str, which: str) -> FileResponse:
    found = CatalogueMaterial.objects.filter(code=_code(code)).first()
    stored = getattr(found, which) if found is not None else None
    if not stored:
        raise Http404("该材料没有此文件")
    name = stored.name.rsplit("/", 1)[-1]
    return FileResponse(stored.open("rb"), as_attachment=True, filename=name)


@route(get=PUBLIC)
def material_template(request: HttpRequest, material_code: str) -> FileResponse:
    """A material's blank template (空白模板), public like the catalogue; 404 when it has none."""
    return _material_file(material_code, "template")


@route(get=PUBLIC)
def material_example(request: HttpRequest, material_code: str) -> FileResponse:
    """A material's filled example (填写示例), public like the catalogue; 404 when it has none."""
    return _material_file(material_code, "example")


# --- items --------------------------------------------------------------------------------------------------


def _item_forms(request: HttpRequest, item: Item | None) -> tuple[ItemForm, Any, Any]:
    data = request.POST or None
    departments_ = _codes(_departments(request))
    material_choices = [("", "—"), *_codes(_materials(request))]
    initial: dict[str, Any] | None = None
    if item is not None:
        initial = {**service.item_state(item), "fee_yuan": item.fee_yuan}
    form = ItemForm(data, initial=initial, department_choices=departments_)
    fields = FieldFormSet(data, prefix="fields",
                          initial=FieldRowForm.initial_rows(item.form_fields) if item is not None else None)
    rows = [{"code": m["code"], "required": m.get("required", True), **ConditionMixin.initial_of(m.get("condition"))}
            for m in (item.materials if item is not None else [])]
    materials_ = MaterialFormSet(data, prefix="materials", initial=rows,
                                 form_kwargs={"material_choices": material_choices})
    return form, fields, materials_


def _item_post(request: HttpRequest, item: Item | None) -> tuple[Item | None, tuple[ItemForm, Any, Any]]:
    forms_ = _item_forms(request, item)
    form, fields, materials_ = forms_
    if request.method != "POST" or not all([form.is_valid(), fields.is_valid(), materials_.is_valid()]):
        return None, forms_
    payload = {**form.cleaned_data, "form_fields": _rows(fields), "materials": _rows(materials_)}
    return _save(request, form, lambda: service.save_item(request.user, item, payload), "已保存事项。"), forms_


def _item_context(forms_: tuple[ItemForm, Any, Any]) -> dict[str, Any]:
    form, fields, materials_ = forms_
    return {"form": form, "fields": fields, "materials": materials_, "kinds": KIND_LABELS}


@route(get=MANAGE, post=MANAGE)
def items(request: HttpRequest) -> HttpResponse:
    """The region's items; POST adds one with its form fields and materials."""
    saved, forms_ = _item_post(request, None)
    if saved is not None:
        return redirect("services:admin_item", item_code=saved.code)
    rows = _items(request).order_by("department__code", "code")
    return render(request, "services/admin/items.html", {"rows": rows, **_item_context(forms_)},
                  status=400 if request.method == "POST" else 200)


@route(get=MANAGE, post=MANAGE)
def item(request: HttpRequest, item_code: str) -> HttpResponse:
    """Edit an item; the page lists the published bundles whose frozen copy keeps the item as it was."""
    found = get_object_or_404(_items(request), code=_code(item_code))
    saved, forms_ = _item_post(request, found)
    if saved is not None:
        return redirect("services:admin_item", item_code=saved.code)
    return render(request, "services/admin/item.html", {
        "item": found, "using": service.bundles_using(found), **_item_context(forms_)},
        status=400 if request.method == "POST" else 200)


# --- bundles ------------------------------------------------------------------------------------------------


@route(get=MANAGE, post=MANAGE)
def bundle_list(request: HttpRequest) -> HttpResponse:
    """Every version of the region's bundles by category (status, effective day, current, cases); POST adds one."""
    form = BundleCreateForm(request.POST or None, department_choices=_codes(_departments(request)), prefix="new")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            made = _save(request, form, lambda: service.create_bundle(request.user, form.cleaned_data),
                         "已新建一件事（草稿第 1 版）。")
            if made is not None:
                return redirect("services:admin_bundle", bundle_id=made.pk)
    current = set(current_bundles().values_list("pk", flat=True))
    rows = _bundles(request).annotate(case_count=Count("cases")).order_by("code", "version")
    categories = [{"label": label, "rows": [b for b in rows if b.category == value]}
                  for value, label in BundleCategory.choices]
    return render(request, "services/admin/bundles.html", {
        "categories": categories, "current": current, "form": form}, status=status)


def _bundle_forms(request: HttpRequest, bundle: Bundle, action: str) -> dict[str, Any]:
    def bound(name: str) -> Any:
        return request.POST if request.method == "POST" and action == name else None

    available: dict[str, Any] = {}
    if bundle.status == BundleStatus.DRAFT:
        initial = {**service.bundle_state(bundle), "lead_department": bundle.lead_department.code}
        item_rows = [{"item": row["item"], "position": row["position"], **ConditionMixin.initial_of(row["condition"])}
                     for row in initial["items"]]
        available["save"] = (
            BundleForm(bound("save"), initial=initial, department_choices=_codes(_departments(request))),
            FieldFormSet(bound("save"), prefix="questions", initial=FieldRowForm.initial_rows(bundle.questions)),
            BundleItemFormSet(bound("save"), prefix="items", initial=item_rows,
                              form_kwargs={"item_choices": [("", "—"), *_codes(_items(request))]}))
        available["publish"] = PublishForm(bound("publish"), prefix="publish")
    if bundle.status == BundleStatus.PUBLISHED:
        available["withdraw"] = WithdrawForm(bound("withdraw"), prefix="withdraw")
    if bundle.status != BundleStatus.DRAFT and not Bundle.objects.filter(code=bundle.code,
                                                                         status=BundleStatus.DRAFT).exists():
        available["new_version"] = NewVersionForm(bound("new_version"), prefix="new_version")
    return available


def _bundle_action(request: HttpRequest, bundle: Bundle, action: str, chosen: Any) -> Any:
    """Run the POSTed action; the bundle to show next, or None (refused or invalid: the page shows why)."""
    user = request.user
    if action == "save":
        form, questions, links = chosen
        if not all([form.is_valid(), questions.is_valid(), links.is_valid()]):
            return None
        payload = {**form.cleaned_data, "questions": _rows(questions), "items": _rows(links)}
        return _save(request, form, lambda: service.update_bundle(user, bundle, payload), "已保存草稿。")
    if not chosen.is_valid():
        return None
    if action == "publish":
        try:
            published = service.publish(user, bundle, chosen.cleaned_data["effective_on"])
        except service.PublishError as error:
            chosen.add_error(None, "定义有误，未发布。请先修改草稿：")
            request.publish_errors = error.errors  # type: ignore[attr-defined]  # shown by the page
            return None
        except Refusal as error:
            refuse(chosen, error)
            return None
        messages.success(request, f"已发布，{published.effective_on:%Y-%m-%d} 起生效。")
        return published
    if action == "withdraw":
        return _save(request, chosen, lambda: service.withdraw(user, bundle, chosen.cleaned_data["reason"]),
                     "已撤回。")
    return _save(request, chosen, lambda: service.new_version(user, bundle), "已新建草稿版本。")


@route(get=MANAGE, post=MANAGE)
def bundle(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """One bundle version; POST action=save|publish|withdraw|new_version.

    A draft is edited (questions, items, conditions) and published; a published or withdrawn one is read-only and
    shows its frozen definition.
    """
    found = get_object_or_404(_bundles(request), pk=bundle_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    available = _bundle_forms(request, found, action)
    status = 200
    if request.method == "POST":
        status = 400
        if action not in available:
            messages.error(request, "当前状态下不能进行该操作（已发布或已撤回的版本只读）")
        else:
            shown = _bundle_action(request, found, action, available[action])
            if shown is not None:
                return redirect("services:admin_bundle", bundle_id=shown.pk)
    current = set(current_bundles().values_list("pk", flat=True))
    versions = _bundles(request).filter(code=found.code).annotate(case_count=Count("cases")).order_by("version")
    definition = definitions.definition_of(found)
    frozen = [{"spec": spec, "condition": condition_label(spec.condition),
               "materials": [(m, condition_label(m.condition)) for m in spec.materials]} for spec in definition.items]
    return render(request, "services/admin/bundle.html", {
        "bundle": found, "forms": available, "versions": versions, "current": current,
        "definition": definition, "frozen": frozen, "labels": definitions.question_labels(found), "kinds": KIND_LABELS,
        "publish_errors": getattr(request, "publish_errors", []), "draft": found.status == BundleStatus.DRAFT,
    }, status=status)
