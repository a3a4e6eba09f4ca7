"""The public catalogue of bundles (一件事) and the online application (一表申请、一套材料)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import params
from changji.core.errors import Refusal
from changji.core.guards import PUBLIC, route
from changji.core.web_forms import refuse
from changji.services import bundles, cases, definitions, delivery, public_catalogue
from changji.services.catalogue import current_bundles
from changji.services.models import ApplicantKind, Bundle, BundleCategory, Case, Channel, DeliveryMethod

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: The session key remembering the case this browser just filed, for the page after the redirect.
APPLIED_SESSION_KEY = "services.applied_case"
APPLICANT_FIELDS = ("applicant_kind", "applicant_name", "applicant_identifier", "applicant_phone")
DELIVERY_FIELDS = ("delivery_method", "postal_address", "postal_recipient")


def _published() -> Any:
    return current_bundles().select_related("lead_department")


@route(get=PUBLIC)
def catalogue(request: HttpRequest) -> HttpResponse:
    """The current bundles by category, searchable (``q``, ``category``): what to bring, how long, who, the fee.

    Built from each bundle's frozen definition (``services.public_catalogue``): three queries whatever the size.
    """
    chosen = params.parse(request.GET, {"q": params.Text(max_length=50),
                                        "category": params.Choice(BundleCategory.values)})
    found = public_catalogue.entries(chosen["q"], chosen["category"])
    by_category = []
    for value, label in BundleCategory.choices:
        listed = [e for e in found if e.bundle.category == value]
        if listed:
            by_category.append({"value": value, "label": label, "entries": listed})
    return render(request, "services/catalogue.html", {
        "categories": by_category, "q": chosen["q"] or "", "category": chosen["category"] or "",
        "all_categories": BundleCategory.choices, "found": len(found)})


def _form_field(spec: bundles.FormField, required: bool) -> forms.Field:
    label = spec.label + ("（事项要求）" if spec.required and not required else "")
    if spec.kind == "bool":
        return forms.BooleanField(label=spec.label, required=False)
    if spec.kind == "number":  # bounded: a figure in a permit is never 1e309
        return forms.DecimalField(label=label, required=required, max_digits=16, decimal_places=4)
    if spec.kind == "date":  # stored as text in the case's form, so years before 1970 (a birth date) are fine
        return params.DayField(label=label, required=required, first=1900)
    if spec.kind == "choice":
        return forms.ChoiceField(label=label, required=required,
                                 choices=[("", "—")] + [(c, c) for c in spec.choices])
    return forms.CharField(label=label, required=required, max_length=200)


class DeliveryFields(forms.Form):
    """How the applicant wants the results (结果送达方式): the online form and the window's walk-in form share it.

    Postal delivery needs an address and a recipient (``delivery.choose``, whose refusals land on their fields);
    ``delivery_choice()`` is what ``cases.submit`` takes.
    """

    delivery_method = forms.ChoiceField(label="结果送达方式", choices=DeliveryMethod.choices, required=False,
                                        initial=DeliveryMethod.WINDOW, widget=forms.RadioSelect)
    postal_address = forms.CharField(label="邮寄地址（邮寄送达时填写）", max_length=200, required=False)
    postal_recipient = forms.CharField(label="收件人（邮寄送达时填写）", max_length=60, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self._delivery = delivery.WINDOW_PICKUP
        if "delivery_method" in self.fields:  # none chosen: window pickup, as before the choice existed
            try:
                method = data.get("delivery_method") or DeliveryMethod.WINDOW
                self._delivery = delivery.choose(method, data.get("postal_address", ""),
                                                 data.get("postal_recipient", ""))
            except delivery.DeliveryError as error:
                refuse(self, error)
        return data

    def delivery_choice(self) -> delivery.Choice:
        """The checked choice (after ``is_valid``)."""
        return getattr(self, "_delivery", delivery.WINDOW_PICKUP)

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DELIVERY_FIELDS if name in self.fields]


class ApplicationForm(DeliveryFields):
    """The one form: the applicant, the bundle's questions, every item's fields once, one upload per material.

    Item fields and materials are optional here: which items apply depends on the answers, and what is
    still lacking is told to the applicant once, as one list, by the window (补齐补正).
    """

    applicant_kind = forms.ChoiceField(label="申请人类型", choices=ApplicantKind.choices)
    applicant_name = forms.CharField(label="申请人名称", max_length=128)
    applicant_identifier = forms.CharField(label="统一社会信用代码/身份证号码", max_length=18)
    applicant_phone = forms.CharField(label="联系电话", max_length=20, required=False)

    def __init__(self, bundle: Bundle, *args: Any, correction: bool = False, case: Case | None = None,
                 **kwargs: Any) -> None:
        """``correction``: the applicant's answer to 补正 (no applicant fields, no questions; blanks keep answers).

        With the ``case`` being corrected, only what it lacks is asked (``correction_fields``), nothing else.
        """
        super().__init__(*args, **kwargs)
        definition = definitions.definition_of(bundle)
        specs = list(definition.items)
        if correction:
            for name in (*APPLICANT_FIELDS, *DELIVERY_FIELDS):
                del self.fields[name]
        asked = () if correction else definition.questions
        self.question_names = [q.name for q in asked]
        shown = show_when(definition)
        for q in asked:
            self.fields[q.name] = _form_field(q, False)
        self.answer_names = list(self.question_names)
        fields, self.materials = bundles.merged_fields(specs), bundles.merged_materials(specs)
        if correction and case is not None:
            fields, self.materials = correction_fields(case, fields, self.materials)
        for spec in fields:
            if spec.name not in self.fields:
                self.fields[spec.name] = _form_field(spec, False)
                self.answer_names.append(spec.name)
        for m in self.materials:
            self.fields[f"material_{m.code}"] = forms.FileField(  # no "clear" box: there is never an initial file
                label=m.name + ("（必需）" if m.required else ""), required=False, widget=forms.FileInput)
        if not correction:  # the page hides what does not apply (static/services/conditions.js)
            for name, alternatives in shown.items():
                if name in self.fields:
                    self.fields[name].widget.attrs["data-show-when"] = json.dumps(alternatives, ensure_ascii=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean returns (django-stubs allows a subclass's None)
        for m in self.materials:
            upload = data.get(f"material_{m.code}")
            if upload is not None and upload.size > MAX_UPLOAD_BYTES:
                self.add_error(f"material_{m.code}", "文件不能超过 20 MB")
        return data

    def answers(self) -> dict[str, Any]:
        return {name: _json(self.cleaned_data.get(name)) for name in self.answer_names
                if self.cleaned_data.get(name) not in (None, "")}

    def uploads(self) -> dict[str, tuple[str, bytes]]:
        out = {}
        for m in self.materials:
            upload = self.cleaned_data.get(f"material_{m.code}")
            if upload:
                out[m.code] = (upload.name, upload.read())
        return out

    def applicant_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in APPLICANT_FIELDS if name in self.fields]

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.answer_names]

    def material_fields(self) -> list[forms.BoundField]:
        return [self[f"material_{m.code}"] for m in self.materials]


def _conjunction(*conditions: Any) -> list[dict[str, Any]]:
    return [dict(c) for c in conditions if c]


def show_when(definition: bundles.Definition) -> dict[str, list[list[dict[str, Any]]]]:
    """When each conditional question, field and material (``material_<code>``) is asked, for the page's script.

    An element is shown when any of its alternatives holds, an alternative being all of its conditions (the
    item's and the element's own); an element asked unconditionally somewhere is always shown (not listed).
    """
    alternatives: dict[str, list[list[dict[str, Any]]]] = {}
    always: set[str] = set()

    def add(name: str, conditions: list[dict[str, Any]]) -> None:
        if not conditions:
            always.add(name)
        else:
            alternatives.setdefault(name, []).append(conditions)

    for q in definition.questions:
        add(q.name, _conjunction(q.condition))
    for item in definition.items:
        for f in item.fields:
            add(f.name, _conjunction(item.condition, f.condition))
        for m in item.materials:
            add(f"material_{m.code}", _conjunction(item.condition, m.condition))
    return {name: conditions for name, conditions in alternatives.items() if name not in always}


def correction_fields(case: Case, fields: list[bundles.FormField], materials: list[bundles.MergedMaterial],
                      ) -> tuple[list[bundles.FormField], list[bundles.MergedMaterial]]:
    """Of the form's fields and materials, those the case lacks (``cases.missing_parts_for``) or the clerk listed.

    The clerk's list (``Case.correction_list``) names them as ``missing`` does (表单：label, 材料：name), so a
    material the clerk found unreadable is asked again although a file was stored.
    """
    lacking_fields, lacking_materials = cases.missing_parts_for(case)
    listed = set(case.correction_list)
    names = {f.name for f in lacking_fields} | {f.name for f in fields if f"表单：{f.label}" in listed}
    codes = {m.code for m in lacking_materials} | {m.code for m in materials if f"材料：{m.name}" in listed}
    return [f for f in fields if f.name in names], [m for m in materials if m.code in codes]


def _json(value: Any) -> Any:
    """Form values as JSON for ``Case.form_data``: whole numbers as int, other decimals as float, dates ISO."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int | float):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def add_case_error(form: forms.Form, error: Refusal) -> None:
    """Put a refusal on its field (``core.web_forms.refuse``); a material's code names its upload field."""
    upload = f"material_{error.field}"
    refuse(form, error, field=upload if error.field not in form.fields and upload in form.fields else None)


@route(get=PUBLIC, post=PUBLIC)
def apply(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """POST the one form: ``cases.submit(channel="online")``, then redirect to ``applied``.

    A refusal is a 400 and nothing is stored.
    """
    bundle = get_object_or_404(_published(), pk=bundle_id)
    form = ApplicationForm(bundle, request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "services/apply.html", {"bundle": bundle, "form": form})
    if form.is_valid():
        applicant = cases.Applicant(**{name.removeprefix("applicant_"): form.cleaned_data[name].strip()
                                       for name in APPLICANT_FIELDS})
        try:
            case = cases.submit(bundle, applicant, Channel.ONLINE, form.answers(), form.uploads(), by="applicant",
                                delivery_choice=form.delivery_choice())
        except Refusal as error:
            add_case_error(form, error)
        else:
            request.session[APPLIED_SESSION_KEY] = case.pk
            return redirect("services:applied")
    return render(request, "services/apply.html", {"bundle": bundle, "form": form}, status=400)


@route(get=PUBLIC)
def applied(request: HttpRequest) -> HttpResponse:
    """The receipt number and query code of the application this browser just filed (post/redirect/get).

    The case is remembered in the session, never in the URL: its query code opens the case to whoever has it.
    Reloading shows the same case again and files nothing; without one, the catalogue.
    """
    applied_pk = request.session.get(APPLIED_SESSION_KEY)
    case = Case.objects.select_related("bundle").filter(pk=applied_pk).first() if applied_pk is not None else None
    if case is None:
        return redirect("services:catalogue")
    return render(request, "services/applied.html", {"case": case, "missing": cases.missing_for(case)})
