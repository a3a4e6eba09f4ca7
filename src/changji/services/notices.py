"""The services app's notices (通知): what the applicant is told at each milestone, by SMS and in-app.

Found by ``core.notifications.events`` like a ``jobs`` module. Each event is an audit action ``services.cases``
already records for the move (``core.audit.record``), so the notices are written in the move's own transaction:
a move that is rolled back tells nobody (``core.notifications.outbox``).

====================================  ==============================  ========================================
action                                emitted by                      told
====================================  ==============================  ========================================
``services.case.submitted``           filing, or the 补正 answer       the applicant
``services.case.accepted``            受理                            the applicant
``services.case.correction``          补齐补正 (the full list)         the applicant
``services.case.refused``             不予受理                         the applicant
``services.sub_case.approved``        a department's 准予许可          the applicant
``services.sub_case.refused``         a department's 不予许可          the applicant
``services.sub_case.licence_recorded`` the licence after 承诺即准入     the applicant
``services.sub_case.extended``        延期                             the applicant
``services.sub_case.rectify``         承诺核查：责令整改                 the applicant
``services.sub_case.revoked``         承诺核查：撤销许可                 the applicant
``services.case.results_ready``       the join (where to get them)    the applicant; the window (in-app)
``services.case.issued``              出件 (how it was delivered)      the applicant
====================================  ==============================  ========================================

The applicant is reached at ``Case.applicant_phone`` (SMS, when it is a mobile number:
``core.notifications.policy.normalise_phone``) and in-app when the case has an ``applicant_user``. The texts
name the receipt number, never the query code (查询码): it opens the case to whoever has it, so only the receipt
page and the printed receipt show it — not an SMS, not an inbox, not a log line, not an audit detail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.urls import reverse

from changji.core.access import P
from changji.core.models import AuditEntry, Channel
from changji.core.notifications.events import EventSpec, Message, Recipient, register
from changji.core.notifications.policy import normalise_phone
from changji.services.delivery import WHERE
from changji.services.models import Case, DeliveryMethod, SubCase

log = logging.getLogger("changji.services.notices")

OUTCOMES = {"granted": "准予许可", "partial": "部分事项准予许可", "refused": "不予许可"}
VERIFICATION = {"services.sub_case.rectify": "责令整改", "services.sub_case.revoked": "撤销许可"}


def _case(entry: AuditEntry) -> Case | None:
    if entry.object_type == "services.case" and entry.object_id.isdigit():
        return Case.objects.select_related("bundle").filter(pk=int(entry.object_id)).first()
    sub = _sub_case(entry)
    return sub.case if sub is not None else None


def _sub_case(entry: AuditEntry) -> SubCase | None:
    if entry.object_type != "services.subcase" or not entry.object_id.isdigit():
        return None
    return (SubCase.objects.select_related("case__bundle", "item", "department")
            .filter(pk=int(entry.object_id)).first())


def applicant(entry: AuditEntry) -> list[Recipient]:
    """The case's applicant: SMS to a valid mobile number, in-app to the account that filed it (if any)."""
    case = _case(entry)
    if case is None:
        return []
    out = []
    phone = normalise_phone(case.applicant_phone)
    if phone is not None:
        out.append(Recipient(Channel.SMS, address=phone, name=case.applicant_name))
    elif case.applicant_phone:
        log.info("case %s: the contact phone is not a mobile number, no SMS", case.receipt_number)
    if case.applicant_user is not None and case.applicant_user.is_active:
        out.append(Recipient(Channel.IN_APP, user=case.applicant_user))
    return out


def _message(case: Case, title: str, body: str, **params: str) -> Message:
    return Message(f"{title}：{case.receipt_number}", body,
                   {"receipt": case.receipt_number, "bundle": case.bundle.name, **params}, reverse("services:track"))


def render_submitted(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    if entry.reason == "已补正":
        return _message(case, "补正材料已收到",
                        f"您的申请 {case.receipt_number}（{case.bundle.name}）的补正材料已收到，窗口将重新预审。")
    return _message(case, "申请已提交",
                    f"您的申请（{case.bundle.name}）已提交，受理编号 {case.receipt_number}。"
                    "请凭受理编号和回执上的查询码查询办理进度。")


def render_accepted(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    on = f"于 {case.accepted_on:%Y-%m-%d} " if case.accepted_on else ""
    return _message(case, "申请已受理",
                    f"您的申请 {case.receipt_number}（{case.bundle.name}）已{on}受理，各部门同步办理，办结后将通知您。")


def render_correction(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    missing = entry.reason or "；".join(case.correction_list)  # the move's note is the whole list
    return _message(case, "需要补正", f"您的申请 {case.receipt_number} 需一次补齐以下内容：{missing}。"
                    "补齐后请在进度查询页提交补正，补正期间不计入办理时限。", missing=missing)


def render_refused(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    return _message(case, "不予受理", f"您的申请 {case.receipt_number} 不予受理，理由：{entry.reason}。",
                    reason=entry.reason)


def render_sub_case(entry: AuditEntry) -> Message | None:
    """A department's decision: approved (with the licence number) or refused (with the reason)."""
    sub = _sub_case(entry)
    if sub is None:
        return None
    case, what = sub.case, f"{sub.department.name}办理的「{sub.item.name}」"
    params = {"item": sub.item.name, "department": sub.department.name}
    if entry.action == "services.sub_case.approved":
        number = f"，证照编号 {sub.licence_number}" if sub.licence_number else ""
        return _message(case, "部门准予许可", f"您的申请 {case.receipt_number} 中{what}已准予许可{number}。",
                        licence=sub.licence_number, **params)
    if entry.action == "services.sub_case.licence_recorded":
        until = f"，有效期至 {sub.valid_until:%Y-%m-%d}" if sub.valid_until else ""
        return _message(case, "证照已登记", f"您的申请 {case.receipt_number} 中承诺即准入的{what}已由部门登记"
                        f"证照编号 {sub.licence_number}{until}。", licence=sub.licence_number, **params)
    if entry.action == "services.sub_case.extended":
        return _message(case, "办理延期", f"您的申请 {case.receipt_number} 中{what}延期至 {sub.due_on:%Y-%m-%d}："
                        f"{entry.reason}。", **params)
    if entry.action in VERIFICATION:
        return _message(case, "承诺核查结论", f"您的申请 {case.receipt_number} 中承诺即准入的{what}核查结论："
                        f"{VERIFICATION[entry.action]}。{entry.reason}", **params)
    return _message(case, "部门不予许可", f"您的申请 {case.receipt_number} 中{what}不予许可，理由：{entry.reason}。",
                    reason=entry.reason, **params)


def render_results_ready(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    outcome = OUTCOMES.get(case.outcome, case.outcome)
    where = WHERE.get(DeliveryMethod(case.delivery_method), "")
    if case.delivery_method == DeliveryMethod.POSTAL:
        where += f"至 {case.postal_recipient}（{case.postal_address}），寄出后将告知快递单号"
    return _message(case, "已全部办结", f"您的申请 {case.receipt_number}（{case.bundle.name}）已全部办结，"
                    f"结果：{outcome}。{where}。", outcome=outcome, where=where)


def render_issued(entry: AuditEntry) -> Message | None:
    case = _case(entry)
    if case is None:
        return None
    if case.delivery_method == DeliveryMethod.POSTAL:
        how = f"已邮寄至 {case.postal_recipient}，快递单号 {case.postal_tracking_number}"
    elif case.delivery_method == DeliveryMethod.E_LICENCE:
        numbers = [sub.licence_number for sub in case.sub_cases.filter(e_licence__isnull=False).order_by("pk")]
        how = f"电子证照已发放（{'、'.join(numbers)}），可在证照核验页面按编号查询" if numbers else "已电子送达"
    else:
        how = f"已由 {case.handed_to} 在综合窗口领取"
    return _message(case, "已出件", f"您的申请 {case.receipt_number} {how}。欢迎在进度查询页对本次服务进行评价。",
                    how=how)


def _spec(action: str, label: str, render: Callable[[AuditEntry], Message | None],
          permission: str = P.SERVICES_CENTRE_MANAGE, notify_staff: bool = False) -> EventSpec:
    """Register a notice to the applicant; staff only when ``notify_staff`` (those who may take ``permission``).

    A notice only the applicant receives is listed, in the channel preferences, to the centre's administrator
    alone (``services.centre.manage``), who answers for what applicants are told; the window and the
    departments are not offered choices for notices they never receive.
    """
    return register(EventSpec(action, label, permission, render, applicant, notify_staff=notify_staff))


_spec("services.case.submitted", "一件事申请已提交（告知申请人）", render_submitted)
_spec("services.case.accepted", "一件事已受理（告知申请人）", render_accepted)
_spec("services.case.correction", "一件事需补正（告知申请人）", render_correction)
_spec("services.case.refused", "一件事不予受理（告知申请人）", render_refused)
_spec("services.sub_case.approved", "部门准予许可（告知申请人）", render_sub_case)
_spec("services.sub_case.refused", "部门不予许可（告知申请人）", render_sub_case)
_spec("services.sub_case.licence_recorded", "承诺即准入证照已登记（告知申请人）", render_sub_case)
_spec("services.sub_case.extended", "分办件延期（告知申请人）", render_sub_case)
_spec("services.sub_case.rectify", "承诺核查：责令整改（告知申请人）", render_sub_case)
_spec("services.sub_case.revoked", "承诺核查：撤销许可（告知申请人）", render_sub_case)
#: The window is told too (in-app), so that results waiting to be issued are not forgotten.
_spec("services.case.results_ready", "一件事已办结待出件（告知申请人与综合窗口）", render_results_ready,
      permission=P.SERVICES_CASE_INTAKE, notify_staff=True)
_spec("services.case.issued", "一件事已出件（告知申请人）", render_issued)
