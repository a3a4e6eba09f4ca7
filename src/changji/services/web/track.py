"""The applicant's progress view (受理编号 + 查询码), and the public verification of a 办结凭证.

The progress view shows the history and the items, and takes the correction answer, the commitment and the rating.

Every successful POST (a lookup or an action) redirects to the GET of the page (post/redirect/get), which
shows the case this browser last looked up: it is remembered in the session, never put in the URL,
because the query code is what opens the case.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from changji.core import audit, params, throttle
from changji.core.errors import Refusal
from changji.core.guards import PUBLIC, route
from changji.core.web_forms import refuse
from changji.services import cases, certificate, delivery, ratings
from changji.services.models import Case, ELicence, ELicenceStatus, SubCase
from changji.services.web.catalogue import ApplicationForm, add_case_error
from changji.services.web.common import ISSUED_STATES, case_fingerprint, certificate_items, find_case
from changji.services.workflow import CaseState, SubCaseState

NOT_FOUND = "未找到该办件：请核对受理编号和查询码。"
TOO_MANY = "查询失败次数过多，请 15 分钟后再试。"
LICENCE_NOT_FOUND = "未找到该证照编号的电子证照：请核对编号。"
#: The throttle's key for e-licence lookups (counted per address: a number is guessed by trying many).
LICENCE_THROTTLE = "verify-licence"
#: The session key remembering the case this browser looked up (with its receipt number and query code).
TRACKED_SESSION_KEY = "services.tracked_case"


class LookupForm(forms.Form):
    receipt = forms.CharField(label="受理编号", max_length=32)
    code = forms.CharField(label="查询码", max_length=8)


SCORE_CHOICES = [(score, f"{score} {label}") for score, label in ratings.SCORES.items()]
REASON_CHOICES = [(reason.code, f"{reason.label}" if reason.good else f"{reason.label}（差）")
                  for reason in ratings.REASONS]


def _reasons_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, required=False, choices=REASON_CHOICES,
                                     widget=forms.CheckboxSelectMultiple)


class RatingForm(forms.Form):
    """好差评: the overall score with its reasons and comment, and one score (with reasons) per department.

    The field names are those of ``ratings.rate``'s refusals, so that each lands on its own field.
    """

    rating = forms.TypedChoiceField(label="总体评价", coerce=int, choices=SCORE_CHOICES)
    reasons = _reasons_field("评价理由（2 分及以下至少选一项）")
    comment = forms.CharField(label="评价意见", required=False, max_length=ratings.MAX_COMMENT,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, case: Case, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departments = ratings.departments_of(case)
        for department in self.departments:
            name = f"department_{department.pk}"
            self.fields[name] = forms.TypedChoiceField(label=f"{department.name}评分", coerce=int,
                                                       choices=SCORE_CHOICES)
            self.fields[f"{name}_reasons"] = _reasons_field("理由")
            self.fields[f"{name}_comment"] = forms.CharField(label="意见", required=False,
                                                             max_length=ratings.MAX_COMMENT)

    def overall_fields(self) -> list[forms.BoundField]:
        return [self["rating"], self["reasons"], self["comment"]]

    def department_groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(d, [self[f"department_{d.pk}{suffix}"] for suffix in ("", "_reasons", "_comment")])
                for d in self.departments]

    def department_ratings(self) -> dict[int, tuple[int, list[str], str]]:
        data = self.cleaned_data
        return {d.pk: (data[f"department_{d.pk}"], data.get(f"department_{d.pk}_reasons") or [],
                       data.get(f"department_{d.pk}_comment") or "") for d in self.departments}


class CommitmentForm(forms.Form):
    sub_case = params.IdField(widget=forms.HiddenInput)
    commitment = forms.CharField(label="承诺书内容", widget=forms.Textarea(attrs={"rows": 3}),
                                 initial="本人承诺所填信息真实，经营场所符合该事项的许可条件，愿意承担不实承诺的法律责任。")


def _commitable(case: Case) -> list[SubCase]:
    if case.state != CaseState.ACCEPTED:
        return []
    return list(case.sub_cases.filter(state=SubCaseState.PENDING, item__commitment_allowed=True)
                .select_related("item"))


def _context(case: Case, lookup: LookupForm, **forms_: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"case": case, "lookup": lookup, "progress": cases.progress(case),
                               "commitable": _commitable(case)}
    if case.state == CaseState.CORRECTION:
        context["correction"] = (forms_.get("correction")
                                 or ApplicationForm(case.bundle, correction=True, case=case, prefix="fix"))
    if case.state == CaseState.ISSUED:
        context["rating"] = forms_.get("rating") or RatingForm(case)
    context["commitment"] = forms_.get("commitment") or CommitmentForm()
    return context


def _act(request: HttpRequest, case: Case, action: str) -> tuple[dict[str, Any], bool]:
    """Run an applicant action; return the forms to show and whether it was refused."""
    if action == "rate":
        form = RatingForm(case, request.POST)
        if form.is_valid():
            try:
                ratings.rate(case, "applicant", form.cleaned_data["rating"], form.cleaned_data["comment"],
                             form.cleaned_data["reasons"], form.department_ratings())
                messages.success(request, "感谢您的评价。")
                return {}, False
            except Refusal as error:
                add_case_error(form, error)
        return {"rating": form}, True
    if action == "resubmit":
        correction = ApplicationForm(case.bundle, request.POST, request.FILES, correction=True, case=case,
                                     prefix="fix")
        if correction.is_valid():
            try:
                cases.resubmit(case, correction.answers(), correction.uploads(), by="applicant")
                messages.success(request, "补正材料已提交，请等待窗口重新预审。")
                return {}, False
            except Refusal as error:
                add_case_error(correction, error)
        return {"correction": correction}, True
    if action == "commit":
        commitment = CommitmentForm(request.POST)
        if commitment.is_valid():
            sub = next((s for s in _commitable(case) if s.pk == commitment.cleaned_data["sub_case"]), None)
            if sub is None:
                commitment.add_error(None, "该事项不能告知承诺")
            else:
                try:
                    cases.commit(sub, "applicant", commitment.cleaned_data["commitment"])
                    messages.success(request, f"已签署承诺书，{sub.item.name}承诺即准入。")
                    return {}, False
                except Refusal as error:
                    refuse(commitment, error)
        return {"commitment": commitment}, True
    return {}, True


def _tracked(request: HttpRequest) -> Case | None:
    """The case this browser looked up last (remembered in its session), if any."""
    tracked_pk = request.session.get(TRACKED_SESSION_KEY)
    return Case.objects.select_related("bundle").filter(pk=tracked_pk).first() if tracked_pk is not None else None


@route(get=PUBLIC, post=PUBLIC)
def track(request: HttpRequest) -> HttpResponse:
    """GET: the lookup form, and the case looked up last; POST: an action, then a redirect here.

    Every POST carries the receipt and the code, with action=lookup|rate|resubmit|commit.
    """
    if request.method == "GET":
        case = _tracked(request)
        if case is None:
            return render(request, "services/track.html", {"lookup": LookupForm()})
        return render(request, "services/track.html", _context(case, LookupForm(
            initial={"receipt": case.receipt_number})))
    lookup = LookupForm(request.POST)
    action = params.parse(request.POST, {"action": params.Choice(["lookup", "rate", "resubmit", "commit"],
                                                                  default="lookup")})["action"]
    receipt, address = request.POST.get("receipt", "").strip(), request.META.get("REMOTE_ADDR", "")
    if throttle.locked(f"track:{receipt}", address):  # a 6-digit code must not be guessable by trying
        return render(request, "services/track.html", {"lookup": lookup, "not_found": TOO_MANY}, status=429)
    case = find_case(receipt, request.POST.get("code", "")) if lookup.is_valid() else None
    if case is None:
        if throttle.failed(f"track:{receipt}", address) == throttle.MAX_FAILURES:
            audit.record("services.track.locked", reason="查询码连续错误", receipt_number=receipt, address=address)
        return render(request, "services/track.html", {"lookup": lookup, "not_found": NOT_FOUND}, status=404)
    throttle.succeeded(f"track:{receipt}", address)
    shown, refused = ({}, False) if action == "lookup" else _act(request, case, action)
    if not refused:
        request.session[TRACKED_SESSION_KEY] = case.pk
        return redirect("services:track")
    case.refresh_from_db()
    return render(request, "services/track.html", _context(case, LookupForm(initial=lookup.cleaned_data), **shown),
                  status=400)


@route(get=PUBLIC)
def verify(request: HttpRequest) -> HttpResponse:
    """Public: recompute the fingerprint of the issued case and compare it with the digest of the QR link."""
    asked = params.parse(request.GET, {"receipt": params.Text(32, default=""), "digest": params.Text(128, default="")})
    receipt, digest = asked["receipt"], asked["digest"].lower()
    case = (Case.objects.select_related("bundle", "region").filter(receipt_number=receipt, state__in=ISSUED_STATES)
            .first() if receipt else None)
    valid = bool(case and digest and secrets.compare_digest(case_fingerprint(case).encode(), digest.encode()))
    context: dict[str, Any] = {"receipt": receipt, "digest": digest, "asked": bool(receipt or digest), "valid": valid}
    if valid and case is not None:  # valid: a case was found
        context.update(case=case, items=certificate_items(case),
                       identifier=certificate.display_identifier(case.applicant_identifier))
    return render(request, "services/verify.html", context)


def _licence_row(licence: ELicence, today: Any) -> dict[str, Any]:
    """What the public page shows of an e-licence: number, name, issuer, masked holder, validity, status."""
    if licence.status == ELicenceStatus.REVOKED:
        status = str(ELicenceStatus.REVOKED.label)
    elif licence.valid_until is not None and licence.valid_until < today:
        status = "已过期"
    else:
        status = str(ELicenceStatus.VALID.label)
    enterprise = licence.sub_case.case.applicant_kind == "enterprise"
    return {"number": licence.number, "name": licence.name, "department": licence.department.name,
            "holder": delivery.mask_holder(licence.holder_name, enterprise), "valid_until": licence.valid_until,
            "status": status, "valid": status == str(ELicenceStatus.VALID.label)}


@route(get=PUBLIC)
def verify_licence(request: HttpRequest) -> HttpResponse:
    """Public: the e-licences (电子证照) issued under a licence number, as the verify page shows them.

    Failed lookups are counted per address like the track page's (``core.throttle``): after five in 15 minutes
    the address is refused (429) until the window has passed.
    """
    number = params.parse(request.GET, {"number": params.Text(64, default="")})["number"].strip()
    address = request.META.get("REMOTE_ADDR", "")
    context: dict[str, Any] = {"number": number, "licence_asked": bool(number), "licences": []}
    if not number:
        return render(request, "services/verify.html", context)
    if throttle.locked(LICENCE_THROTTLE, address):
        return render(request, "services/verify.html", {**context, "licence_error": TOO_MANY}, status=429)
    found = list(ELicence.objects.select_related("department", "sub_case__case").filter(number=number)
                 .order_by("department__code"))
    if not found:
        if throttle.failed(LICENCE_THROTTLE, address) == throttle.MAX_FAILURES:
            audit.record("services.verify_licence.locked", reason="证照编号连续查询未果", address=address)
        return render(request, "services/verify.html", {**context, "licence_error": LICENCE_NOT_FOUND}, status=404)
    today = timezone.localdate()
    context["licences"] = [_licence_row(licence, today) for licence in found]
    return render(request, "services/verify.html", context)
