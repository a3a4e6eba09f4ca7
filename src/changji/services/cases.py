"""Case handling (办件): one window intake, parallel departmental approval, results issued together.

一次受理、后台分发、同步审批、按时反馈、办结出件. Every move is checked against ``workflow``'s tables,
appends a ``CaseEvent`` (the applicant's progress view), writes the audit entry
``services.case.<state>`` or ``services.sub_case.<state>``; the applicant is told at the
milestones by the notices registered for those audit actions (``services.notices``, the outbox).
Deadlines are in working days (``workdays``) and run from acceptance (受理), as the 行政许可法 counts
them; the working days an application waited for the applicant's 补齐补正 before acceptance are kept
(``suspended_days``) so handling statistics leave them out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from changji.core import access, audit
from changji.core.errors import Refusal
from changji.core.identity import IdentifierError, validate_resident_id, validate_uscc
from changji.core.scope import scope_queryset
from changji.core.transitions import TransitionError, check_transition
from changji.services import bundles, catalogue, definitions, delivery, inspection, workdays
from changji.services.models import (
    ApplicantKind,
    Bundle,
    Case,
    CaseEvent,
    Channel,
    Department,
    Item,
    Material,
    SubCase,
)
from changji.services.workflow import (
    CASE_LABELS,
    CASE_TABLE,
    SUB_CASE_LABELS,
    SUB_CASE_TABLE,
    CaseState,
    SubCaseState,
    join_outcome,
)


class CaseError(Refusal):
    """A refused request on a case, with the field at fault (``core.errors``).

    A move the case or sub-case table forbids (``core.transitions.TransitionError``) is re-raised as a
    ``CaseError`` on the same field, so that callers (the pages, the jobs) catch one kind of refusal here.
    """


@dataclass(frozen=True)
class Applicant:
    kind: str
    name: str
    identifier: str
    phone: str = ""


def _local_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now())


def _actor(by: Any) -> str:
    return by.get_username() if getattr(by, "is_authenticated", False) else str(by)


def item_specs(bundle: Bundle) -> list[bundles.ItemSpec]:
    """The bundle's items as plain specs for ``bundles`` (``definitions.definition_of``: frozen once published)."""
    return list(definitions.definition_of(bundle).items)


def _validate_applicant(applicant: Applicant) -> str:
    try:
        if applicant.kind == ApplicantKind.ENTERPRISE:
            return validate_uscc(applicant.identifier)
        if applicant.kind == ApplicantKind.PERSON:
            return validate_resident_id(applicant.identifier)
    except IdentifierError as error:
        raise CaseError("applicant_identifier", str(error)) from error
    raise CaseError("applicant_kind", f"未知的申请人类型：{applicant.kind}")


def _receipt_number(case_region: str, today: date) -> str:
    prefix = f"{case_region}{today:%Y%m%d}"
    count = Case.objects.filter(receipt_number__startswith=prefix).count()
    return f"{prefix}{count + 1:05d}"


def _event(case: Case, from_state: str, to_state: str, by: Any, note: str = "", sub_case: SubCase | None = None,
           action: str | None = None, in_person: bool = False, **detail: Any) -> None:
    CaseEvent.objects.create(case=case, sub_case=sub_case, from_state=from_state, to_state=to_state,
                             by_name=_actor(by), note=note, in_person=in_person)
    action = action or (f"services.sub_case.{to_state}" if sub_case else f"services.case.{to_state}")
    audit.record(action, actor=by, target=sub_case or case, region=case.region, reason=note,
                 receipt_number=case.receipt_number, **detail)


def _move_case(case: Case, target: CaseState, by: Any, note: str = "", in_person: bool = False,
               **fields: Any) -> None:
    """Move ``case`` along the case table; ``in_person``: the applicant is at the centre (a visit, ``_visit``)."""
    current = CaseState(case.state)
    try:
        check_transition(CASE_TABLE, current, target, fields)
    except TransitionError as error:
        raise CaseError(error.field, error.message) from error
    if in_person:
        _visit(case)
    case.state = target
    case.save()
    _event(case, current, target, by, note, in_person=in_person)


def _visit(case: Case, now: datetime | None = None) -> None:
    """Count the applicant's visit to the centre (``Case.visits``), unless already counted this local day.

    Filing, a correction at the window and picking up results in one stay at the hall are one visit (the
    seed's half hour); coming back another day is another one. Saved by the caller.
    """
    today = _local_today(now)
    earlier = case.events.filter(in_person=True).values_list("at", flat=True)
    if not any(timezone.localdate(at) == today for at in earlier):
        case.visits += 1


def _move_sub_case(sub: SubCase, target: SubCaseState, by: Any, note: str = "", **fields: Any) -> None:
    current = SubCaseState(sub.state)
    try:
        check_transition(SUB_CASE_TABLE, current, target, fields)
    except TransitionError as error:
        raise CaseError(error.field, error.message) from error
    sub.state = target
    sub.save()
    _event(sub.case, current, target, by, note, sub_case=sub)


@transaction.atomic
def submit(bundle: Bundle, applicant: Applicant, channel: str, answers: dict[str, Any],
           materials: dict[str, tuple[str, bytes]], by: Any, now: datetime | None = None,
           in_person: bool = False, delivery_choice: delivery.Choice = delivery.WINDOW_PICKUP) -> Case:
    """File an application: one form, one set of materials (``{code: (file name, bytes)}``).

    ``in_person``: filed at the window with the applicant there (``services.intake``): the first visit.
    ``delivery_choice`` is how the applicant wants the results (``delivery.choose`` checks it).
    """
    if not catalogue.current_bundles(_local_today(now)).filter(pk=bundle.pk).exists():
        raise CaseError("bundle", "该一件事未发布或未生效，不能申请")
    if channel == Channel.ONLINE and not bundle.online_allowed:
        raise CaseError("bundle", "该一件事须到窗口申请")
    identifier = _validate_applicant(applicant)
    if not applicant.name.strip():
        raise CaseError("applicant_name", "请填写申请人名称")
    definition = definitions.definition_of(bundle)
    merged = {m.code: m for m in bundles.required_materials(definition, answers)}
    unknown = sorted(set(materials) - set(merged))
    if unknown:
        raise CaseError("materials", f"不需要的材料：{'、'.join(unknown)}")
    now = now or timezone.now()
    for _ in range(5):  # two windows filing at the same instant race for a number: take the next one
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    receipt_number=_receipt_number(bundle.region_id, _local_today(now)),
                    query_code=f"{secrets.randbelow(10**6):06d}", bundle=bundle, region=bundle.region,
                    applicant_kind=applicant.kind, applicant_name=applicant.name.strip(),
                    applicant_identifier=identifier, applicant_phone=applicant.phone, channel=channel,
                    form_data=answers, submitted_at=now, delivery_method=delivery_choice.method,
                    postal_address=delivery_choice.postal_address, postal_recipient=delivery_choice.postal_recipient,
                )
            break
        except IntegrityError:
            continue
    else:
        raise CaseError("receipt_number", "受理编号冲突，请重试")
    _store_materials(case, materials, merged)
    if in_person:
        case.visits = 1
        case.save(update_fields=["visits"])
    _event(case, "", CaseState.SUBMITTED, by, "窗口受理申请" if in_person else "提交申请", in_person=in_person)
    return case


def _store_materials(case: Case, materials: dict[str, tuple[str, bytes]],
                     merged: dict[str, bundles.MergedMaterial]) -> None:
    for code, (filename, content) in materials.items():
        spec = merged[code]
        Material.objects.filter(case=case, code=code).delete()  # a corrected upload replaces the old one
        material = Material(case=case, code=code, name=spec.name, sha256=hashlib.sha256(content).hexdigest(),
                            item_codes=list(spec.items))
        material.file.save(filename, ContentFile(content), save=True)


def missing_for(case: Case) -> list[str]:
    """What the application still lacks, as one complete list."""
    supplied = case.materials.values_list("code", flat=True)
    return bundles.missing_from(definitions.definition_of(case.bundle), case.form_data, supplied)


def missing_parts_for(case: Case) -> tuple[list[bundles.FormField], list[bundles.MergedMaterial]]:
    """The fields and materials ``missing_for`` lists (a correction form shows these and nothing else)."""
    supplied = case.materials.values_list("code", flat=True)
    return bundles.missing_parts(definitions.definition_of(case.bundle), case.form_data, supplied)


@transaction.atomic
def request_correction(case: Case, by: Any, missing: list[str], now: datetime | None = None) -> Case:
    """补齐补正: tell the applicant everything missing at once; the clock stops until they answer."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _clerk_may_act(case, by)
    _move_case(case, CaseState.CORRECTION, by, "；".join(missing), missing=missing)
    case.correction_list = missing
    case.correction_started_on = _local_today(now)
    case.save(update_fields=["correction_list", "correction_started_on"])
    return case


@transaction.atomic
def resubmit(case: Case, answers: dict[str, Any], materials: dict[str, tuple[str, bytes]], by: Any,
             now: datetime | None = None, in_person: bool = False) -> Case:
    """The applicant answers a correction request; the working days it took are added to the suspension.

    ``in_person``: at the window, the applicant there (a visit unless already counted today, ``_visit``).
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.state != CaseState.CORRECTION:
        raise CaseError("state", "该办件不在补正状态")
    case.form_data = {**case.form_data, **answers}
    definition = definitions.definition_of(case.bundle)
    _store_materials(case, materials, {m.code: m for m in bundles.required_materials(definition, case.form_data)})
    # request_correction (above) sets the start with the CORRECTION state, and only resubmit clears it
    assert case.correction_started_on is not None
    case.suspended_days += workdays.working_days_between(case.correction_started_on, _local_today(now))
    case.correction_started_on = None
    case.save()
    _move_case(case, CaseState.SUBMITTED, by, "已补正（窗口现场）" if in_person else "已补正", in_person=in_person)
    return case


@transaction.atomic
def refuse(case: Case, by: Any, reason: str) -> Case:
    """不予受理, with the reason the applicant is told."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _clerk_may_act(case, by)
    _move_case(case, CaseState.REFUSED, by, reason, reason=reason)
    return case


@transaction.atomic
def accept(case: Case, by: Any, now: datetime | None = None) -> list[SubCase]:
    """受理: split into one sub-case per applicable item and dispatch them to their departments at once."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _clerk_may_act(case, by)
    lacking = missing_for(case)
    if lacking:
        raise CaseError("materials", f"材料或表单不全，请先告知补正：{'；'.join(lacking)}")
    today = _local_today(now)
    case.accepted_on = today  # saved with the move, so that its notice (services.notices) tells the date
    _move_case(case, CaseState.ACCEPTED, by, "受理并分发")
    specs = bundles.applicable_items(item_specs(case.bundle), case.form_data)  # the limits of the filed version
    items = {item.code: item for item in Item.objects.filter(code__in=[spec.code for spec in specs])}
    departments = {d.code: d for d in Department.objects.filter(code__in=[spec.department for spec in specs])}
    subs = []
    for spec in specs:
        item = items[spec.code]
        department = departments.get(spec.department) or item.department
        sub = SubCase.objects.create(
            case=case, item=item, department=department,
            due_on=workdays.add_working_days(today, spec.promised_limit_days),
            legal_due_on=workdays.add_working_days(today, spec.statutory_limit_days),
        )
        _event(case, "", SubCaseState.PENDING, by, f"分发至{department.name}", sub_case=sub)
        if spec.inspection:
            inspection.open_inspection(sub, spec.inspection_limit_days, now)
        subs.append(sub)
    return subs


def for_reviewer(sub_cases: Any, user: Any) -> Any:
    """Limit sub-cases to the user's region (core.scope) and to the departments the user reviews for.

    A superuser without a region sees every department's sub-cases (administration); everyone else
    only those of departments that list them among their reviewers.
    """
    scoped = scope_queryset(sub_cases, user)
    if getattr(user, "is_superuser", False):
        return scoped
    return scoped.filter(department__reviewers=user)


def _clerk_may_act(case: Case, by: Any) -> None:
    """The window's steps (pre-check, correction, refusal, acceptance, issue) are the clerk's (core.access)."""
    access.check_actor(by, access.P.SERVICES_CASE_INTAKE, case.region)


def _reviewer_may_act(sub: SubCase, by: Any) -> None:
    access.check_actor(by, access.P.SERVICES_SUB_CASE_REVIEW)
    if not for_reviewer(SubCase.objects.filter(pk=sub.pk), by).exists():
        raise CaseError("sub_case", "无权办理该分办件：不属于您所在部门或辖区")


@transaction.atomic
def claim(sub: SubCase, by: Any, now: datetime | None = None) -> SubCase:
    sub = SubCase.objects.select_for_update().select_related("case").get(pk=sub.pk)
    _reviewer_may_act(sub, by)
    _move_sub_case(sub, SubCaseState.CLAIMED, by, "认领")
    sub.assignee, sub.claimed_at = by, now or timezone.now()
    sub.save(update_fields=["assignee", "claimed_at"])
    return sub


@transaction.atomic
def release(sub: SubCase, by: Any, note: str = "释放") -> SubCase:
    """Back to the department inbox (by the reviewer, or by the system when they did not act in time)."""
    sub = SubCase.objects.select_for_update().select_related("case").get(pk=sub.pk)
    _move_sub_case(sub, SubCaseState.PENDING, by, note)
    sub.assignee, sub.claimed_at = None, None
    sub.save(update_fields=["assignee", "claimed_at"])
    return sub


@transaction.atomic
def decide(sub: SubCase, by: Any, approve: bool, opinion: str, licence_number: str = "",
           valid_until: date | None = None, now: datetime | None = None) -> SubCase:
    """准予 / 不予许可 by the reviewer who claimed it; the case joins when its last sub-case ends."""
    sub = SubCase.objects.select_for_update().select_related("case").get(pk=sub.pk)
    if sub.assignee_id != getattr(by, "pk", None):
        raise CaseError("sub_case", "请先认领该分办件")
    if approve:
        licence_number = _checked_licence_number(sub, licence_number)
    try:
        inspection.check_may_decide(sub, approve)  # 现场勘察 first, and only a refusal after a failed one
    except inspection.InspectionError as error:
        raise CaseError(error.field, error.message) from error
    target = SubCaseState.APPROVED if approve else SubCaseState.REFUSED
    # the decision is on the sub-case before its move is audited: the notice of the move reads it
    sub.opinion, sub.licence_number = opinion, licence_number.strip() if approve else ""
    sub.valid_until = valid_until if approve else None
    sub.decided_at = now or timezone.now()
    _move_sub_case(sub, target, by, opinion, opinion=opinion)
    _join(sub.case, by)
    return sub


def _checked_licence_number(sub: SubCase, number: str) -> str:
    """The licence number the department issued, stripped; refused when blank, too long or already on record."""
    number = number.strip()
    if not number:
        raise CaseError("licence_number", "准予许可须填写证照编号")
    if len(number) > 64 or any(ch in number for ch in "\r\n\t"):
        raise CaseError("licence_number", "证照编号不能超过 64 个字符")
    if delivery.number_taken(sub.department_id, number, sub):
        raise CaseError("licence_number", f"证照编号 {number} 已在本部门的电子证照中登记，请核对")
    return number


@transaction.atomic
def extend(sub: SubCase, by: Any, days: int, reason: str) -> SubCase:
    """延期: move an open sub-case's promised and legal end by ``days`` working days, with the reason.

    行政许可法 §42 allows a further 10 working days with the approval of the head of the body; the
    reason names that approval. The applicant is told the new date.
    """
    sub = SubCase.objects.select_for_update().select_related("case").get(pk=sub.pk)
    _reviewer_may_act(sub, by)
    if sub.state not in (SubCaseState.PENDING, SubCaseState.CLAIMED):
        raise CaseError("state", "只有办理中的分办件可以延期")
    if not isinstance(days, int) or not 1 <= days <= 10:
        raise CaseError("days", "延期须为 1 至 10 个工作日")
    if not reason.strip():
        raise CaseError("reason", "请填写延期理由（含批准人）")
    sub.due_on = workdays.add_working_days(sub.due_on, days)
    sub.legal_due_on = workdays.add_working_days(sub.legal_due_on, days)
    sub.save(update_fields=["due_on", "legal_due_on"])
    _event(sub.case, sub.state, sub.state, by, f"延期 {days} 个工作日：{reason.strip()}", sub_case=sub,
           action="services.sub_case.extended", days=days)
    return sub


@transaction.atomic
def commit(sub: SubCase, by: Any, commitment: str, now: datetime | None = None) -> SubCase:
    """承诺即准入: the applicant's signed commitment approves the item at once; a verification is due.

    The licence number is the one the department issues (``record_licence``), never one made up here: until the
    department's reviewer records it, the sub-case is not ended for the join (the results are not ready).
    """
    sub = SubCase.objects.select_for_update().select_related("case", "item").get(pk=sub.pk)
    if not sub.item.commitment_allowed:
        raise CaseError("commitment", f"{sub.item.name}不适用告知承诺")
    if not commitment.strip():
        raise CaseError("commitment", "请填写承诺书内容")
    _move_sub_case(sub, SubCaseState.COMMITTED, by, "申请人已签署承诺书")
    today = _local_today(now)
    sub.opinion = commitment.strip()
    sub.decided_at = now or timezone.now()
    sub.verification_due_on = workdays.add_working_days(today, sub.item.verification_days)
    sub.save()
    _join(sub.case, by)
    return sub


@transaction.atomic
def record_licence(sub: SubCase, by: Any, number: str, valid_until: date | None = None,
                   now: datetime | None = None) -> SubCase:
    """The department's reviewer records the licence it issued for an item granted on commitment (承诺即准入)."""
    sub = SubCase.objects.select_for_update().select_related("case", "item").get(pk=sub.pk)
    _reviewer_may_act(sub, by)
    if not delivery.granted_without_licence(sub):
        raise CaseError("state", "只有承诺即准入且尚未登记证照编号的分办件可以登记证照编号")
    number = _checked_licence_number(sub, number)
    if valid_until is not None and valid_until <= _local_today(now):
        raise CaseError("valid_until", "有效期须晚于今天")
    sub.licence_number, sub.valid_until = number, valid_until
    sub.save(update_fields=["licence_number", "valid_until"])
    until = f"，有效期至 {valid_until:%Y-%m-%d}" if valid_until else ""
    _event(sub.case, sub.state, sub.state, by, f"登记证照编号 {number}{until}", sub_case=sub,
           action="services.sub_case.licence_recorded", licence_number=number,
           valid_until=valid_until.isoformat() if valid_until else None)
    _join(sub.case, by)
    return sub


@transaction.atomic
def verify(sub: SubCase, by: Any, outcome: str, opinion: str) -> SubCase:
    """The verification after 承诺即准入: confirmed, rectify, or revoked (recorded against the applicant)."""
    sub = SubCase.objects.select_for_update().select_related("case").get(pk=sub.pk)
    _reviewer_may_act(sub, by)
    targets = {"confirmed": SubCaseState.CONFIRMED, "rectify": SubCaseState.RECTIFY,
               "revoked": SubCaseState.REVOKED}
    if outcome not in targets:
        raise CaseError("outcome", f"未知的核查结论：{outcome}")
    _move_sub_case(sub, targets[outcome], by, opinion, opinion=opinion)
    if outcome == "revoked":
        audit.record("services.applicant.revoked", actor=by, target=sub, region=sub.case.region, reason=opinion,
                     applicant_identifier=sub.case.applicant_identifier)
        if delivery.revoke_e_licence(sub):
            audit.record("services.e_licence.revoked", actor=by, target=sub, region=sub.case.region, reason=opinion,
                         licence_number=sub.licence_number)
    return sub


def _join(case: Case, by: Any) -> None:
    """When every sub-case has ended, the case is results_ready (or every open one is withdrawn first)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.state != CaseState.ACCEPTED:
        return
    subs = list(case.sub_cases.select_for_update())
    states = [SubCaseState(s.state) for s in subs]
    if case.bundle.refusal_fails_case and SubCaseState.REFUSED in states:
        for sub in subs:  # one refusal fails the whole case: the others stop
            if sub.state in (SubCaseState.PENDING, SubCaseState.CLAIMED):
                _move_sub_case(sub, SubCaseState.WITHDRAWN, "system", "其他事项不予许可，整件终止")
        states = [SubCaseState(s.state) for s in case.sub_cases.all()]
    else:  # granted on commitment, the department's licence number still to come: not ended yet
        states = [SubCaseState.PENDING if delivery.granted_without_licence(s) else state
                  for s, state in zip(subs, states, strict=True)]
    outcome = join_outcome(states, case.bundle.refusal_fails_case)
    if outcome is None:
        return
    case.outcome = outcome
    case.save(update_fields=["outcome"])
    _move_case(case, CaseState.RESULTS_READY, by, f"各事项均已办结（{outcome}）")


@transaction.atomic
def issue(case: Case, by: Any, handed_to: str = "", now: datetime | None = None, tracking_number: str = "") -> Case:
    """出件: all results together, the way the applicant chose (``delivery``); e-licences for every granted item.

    Window pickup records who took the results (an in-person step, one more visit); postal delivery needs the
    parcel's tracking number; an e-licence needs nothing more. Whatever the method, every granted sub-case's
    licence gets its ``ELicence`` record.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    _clerk_may_act(case, by)
    if case.state != CaseState.RESULTS_READY:
        raise CaseError("state", "该办件不在待出件状态")
    now = now or timezone.now()
    try:
        handing = delivery.hand_over(case, handed_to, tracking_number)
        delivery.issue_e_licences(case, _local_today(now))
    except delivery.DeliveryError as error:
        raise CaseError(error.field, error.message) from error
    case.issued_at, case.handed_to = now, handing.handed_to
    _move_case(case, CaseState.ISSUED, by, handing.note, in_person=handing.in_person)
    return case


def progress(case: Case) -> dict[str, Any]:
    """The applicant's view: ordered history with dates, and the expected end per item and overall."""
    subs = list(case.sub_cases.select_related("item", "department"))
    return {
        "receipt_number": case.receipt_number, "bundle": case.bundle.name, "state": CASE_LABELS[CaseState(case.state)],
        "history": [{"at": e.at, "state": (SUB_CASE_LABELS[SubCaseState(e.to_state)] if e.sub_case_id
                                           else CASE_LABELS[CaseState(e.to_state)]), "note": e.note}
                    for e in case.events.all()],
        "items": [{"item": s.item.name, "department": s.department.name,
                   "state": SUB_CASE_LABELS[SubCaseState(s.state)], "due_on": s.due_on} for s in subs],
        "expected_end": max((s.due_on for s in subs), default=None),
    }
